"""gpanel's settings: every knob the product has, typed, read once from a mapping.

`Settings.from_env()` merges `.env` (if present) under the process environment and validates
the result; `Settings.from_mapping()` does the same for any mapping, which is how tests and
the demo build their own. Every field maps to an upper-case `GPANEL_*` variable (the field name
with the prefix), and every one of them is documented in `.env.example` (a test checks it).

Secrets are `SecretStr`, so they never print. Outside demo mode a secret left at its
placeholder value is refused at start-up with a message saying which variable to set and how.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

ENV_PREFIX = "GPANEL_"

# Values that ship in .env.example. They are fine for `gpanel demo` and tests, never in production.
PLACEHOLDER_SECRET = "change-me"
# A public Fernet key for demo mode only (32 bytes, url-safe base64); refused in production.
DEMO_TOKEN_KEY = "ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q="


class Mode(StrEnum):
    DEMO = "demo"
    PRODUCTION = "production"


class QuotaRegime(StrEnum):
    LEGACY = "legacy"
    Y2026 = "2026"


class Queue(StrEnum):
    EMBEDDED = "embedded"
    PROCRASTINATE = "procrastinate"


class SettingsError(Exception):
    """Settings that cannot work, with what to change in words a deployer can act on."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- Running -------------------------------------------------------------------------
    mode: Mode = Mode.PRODUCTION
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite in data_dir
    log_level: str = "INFO"
    queue: Queue = Queue.EMBEDDED

    # --- Secrets ---------------------------------------------------------------------------
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Fernet keys, comma separated; the first encrypts, all decrypt (key rotation).
    token_keys: SecretStr = SecretStr(PLACEHOLDER_SECRET)

    # --- Organisation ----------------------------------------------------------------------
    first_admin_email: str = ""
    org_domains: str = ""  # comma separated: the org's own mail domains
    org_timezone: str = "UTC"
    fold_gmail_addresses: bool = False
    group_mail_max_recipients: int = Field(100, ge=1)
    frame_ancestors: str = "'self'"

    # --- Google ------------------------------------------------------------------------------
    google_client_id: str = ""
    google_client_secret: SecretStr = SecretStr("")
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    google_revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    google_userinfo_uri: str = "https://openidconnect.googleapis.com/v1/userinfo"
    google_certs_uri: str = "https://www.googleapis.com/oauth2/v1/certs"
    google_issuer: str = "https://accounts.google.com"
    gmail_api_base: str = "https://gmail.googleapis.com"

    # --- Gmail budget --------------------------------------------------------------------------
    gmail_quota_regime: QuotaRegime = QuotaRegime.Y2026
    gmail_user_quota_per_minute: int = Field(0, ge=0)  # 0: the regime's figure
    gmail_budget_fraction: float = Field(0.8, gt=0, le=1)
    # Calls of one mailbox in flight at once, batch parts counted (docs/gmail-facts.md,
    # "Per-user limits and concurrency"): 25-part batches are reported to pass at Google.
    gmail_max_inflight_per_mailbox: int = Field(25, ge=1)
    gmail_batch_size: int = Field(50, ge=1, le=100)

    # --- Content cache (process memory only) -----------------------------------------------------
    cache_max_bytes: int = Field(64 * 1024 * 1024, ge=0)
    cache_ttl_seconds: int = Field(300, ge=0)
    # How long one getProfile answer validates the panel's cached reads of a mailbox for
    # other views (never across a write gpanel made to it); 0 asks Gmail on every view.
    panel_validator_window_ms: int = Field(1000, ge=0, le=10_000)

    # --- MailMagnet and labels --------------------------------------------------------------------
    magnet_poll_seconds: int = Field(60, ge=1)
    magnet_retention_days: int = Field(30, ge=1)
    pubsub_topic: str = ""
    pubsub_audience: str = ""
    # The `email` claim every push token must carry: the push subscription's service account.
    pubsub_service_account: str = ""
    labels_interval_seconds: int = Field(600, ge=10)
    labels_backfill_days: int = Field(30, ge=0)
    label_closing_this_month: str = "CRM/Deals Closing This Month"
    label_open_deals: str = "CRM/Open Deals"
    label_customers: str = "CRM/Customers"

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.mode is Mode.DEMO:
            return self
        for name in ("secret_key", "token_keys"):
            value: SecretStr = getattr(self, name)
            if value.get_secret_value() in ("", PLACEHOLDER_SECRET):
                raise ValueError(
                    f"{ENV_PREFIX}{name.upper()} is still a placeholder. Set it to a long random "
                    "value (for example: python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')"
                    + (
                        ", or for token keys: python -c 'from cryptography.fernet import Fernet; "
                        "print(Fernet.generate_key().decode())'"
                        if name == "token_keys"
                        else ""
                    )
                    + ". Placeholders are accepted only with GPANEL_MODE=demo."
                )
        if not self.google_client_id:
            raise ValueError(
                "GPANEL_GOOGLE_CLIENT_ID is empty. Create an OAuth client in Google Cloud Console "
                "(see README, 'Real Google') or run `gpanel demo` to use the built-in emulator."
            )
        return self

    # --- Derived values --------------------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL: SQLite in the data directory unless a URL was given."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'gpanel.db').as_posix()}"
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def own_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.org_domains.split(",") if d.strip())

    @property
    def user_quota_per_minute(self) -> int:
        if self.gmail_user_quota_per_minute:
            return self.gmail_user_quota_per_minute
        return 15_000 if self.gmail_quota_regime is QuotaRegime.LEGACY else 6_000

    @property
    def fernet_keys(self) -> list[str]:
        raw = self.token_keys.get_secret_value()
        if self.mode is Mode.DEMO and raw in ("", PLACEHOLDER_SECRET):
            return [DEMO_TOKEN_KEY]
        return [k.strip() for k in raw.split(",") if k.strip()]

    @property
    def label_names(self) -> tuple[str, str, str]:
        return (self.label_closing_this_month, self.label_open_deals, self.label_customers)

    # --- Construction -----------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, env: Mapping[str, str | None]) -> Settings:
        """Build settings from `GPANEL_*` keys of a mapping; other keys are ignored."""
        known = set(cls.model_fields)
        values: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in env.items():
            if not key.startswith(ENV_PREFIX) or value is None:
                continue
            name = key.removeprefix(ENV_PREFIX).lower()
            if name in known:
                values[name] = value
            elif not name.startswith("test_"):
                unknown.append(key)
        if unknown:
            raise SettingsError(
                "Unknown setting(s): " + ", ".join(sorted(unknown)) + ". See .env.example for the "
                "full list; a typo here would silently fall back to a default."
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = ".env") -> Settings:
        """The process environment over `.env` (if the file exists). Called once at start-up."""
        merged: dict[str, str | None] = {}
        if env_file and Path(env_file).is_file():
            merged.update(dotenv_values(env_file))
        merged.update(os.environ)
        return cls.from_mapping(merged)

    @classmethod
    def env_names(cls) -> list[str]:
        return [ENV_PREFIX + name.upper() for name in cls.model_fields]


def _explain(exc: ValidationError) -> str:
    lines = ["gpanel cannot start with these settings:"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        var = ENV_PREFIX + where.upper() if where else "(settings)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"  - {var}: {msg}")
    return "\n".join(lines)
