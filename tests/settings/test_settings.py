"""Settings: read once from a mapping, documented in .env.example, placeholders refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from dotenv import dotenv_values

from gpanel.settings import Mode, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "GPANEL_MODE": "production",
    "GPANEL_SECRET_KEY": "s" * 48,
    "GPANEL_TOKEN_KEYS": "k" * 44,
    "GPANEL_GOOGLE_CLIENT_ID": "client.apps.googleusercontent.com",
}


def test_every_setting_is_documented_in_env_example() -> None:
    """Each GPANEL_* field has a line in .env.example, and the file names no unknown setting."""
    documented = set(dotenv_values(ROOT / ".env.example"))
    assert documented == set(Settings.env_names())


def test_env_example_values_are_valid_in_demo_mode() -> None:
    """The example file as shipped loads (demo mode accepts its placeholders)."""
    values = {**dotenv_values(ROOT / ".env.example"), "GPANEL_MODE": "demo"}
    settings = Settings.from_mapping(values)
    assert settings.mode is Mode.DEMO
    assert settings.label_names[2] == "CRM/Customers"


@pytest.mark.parametrize("name", ["GPANEL_SECRET_KEY", "GPANEL_TOKEN_KEYS"])
def test_placeholder_secret_refused_outside_demo(name: str) -> None:
    """A secret left at `change-me` stops production start-up, naming the variable to set."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_mapping({**GOOD, name: "change-me"})


def test_missing_client_id_explains_the_fix() -> None:
    env = {k: v for k, v in GOOD.items() if k != "GPANEL_GOOGLE_CLIENT_ID"}
    with pytest.raises(SettingsError, match="gpanel demo"):
        Settings.from_mapping(env)


def test_unknown_setting_is_refused_not_ignored() -> None:
    """A typo must not silently fall back to a default."""
    with pytest.raises(SettingsError, match="GPANEL_SECRET_KYE"):
        Settings.from_mapping({**GOOD, "GPANEL_SECRET_KYE": "x"})


def test_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="GPANEL_PORT"):
        Settings.from_mapping({**GOOD, "GPANEL_PORT": "eighty"})


def test_secrets_never_print() -> None:
    s = Settings.from_mapping(GOOD)
    assert "s" * 48 not in repr(s) and "s" * 48 not in str(s.model_dump())


def test_database_urls_become_async_driver_urls(tmp_path: Path) -> None:
    s = Settings.from_mapping({**GOOD, "GPANEL_DATA_DIR": str(tmp_path)})
    assert s.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/gpanel.db"
    pg = Settings.from_mapping({**GOOD, "GPANEL_DATABASE_URL": "postgresql://u@h:5432/db"})
    assert pg.resolved_database_url == "postgresql+psycopg://u@h:5432/db"


def test_quota_regime_sets_the_budget() -> None:
    assert Settings.from_mapping(GOOD).user_quota_per_minute == 6_000
    legacy = Settings.from_mapping({**GOOD, "GPANEL_GMAIL_QUOTA_REGIME": "legacy"})
    assert legacy.user_quota_per_minute == 15_000
