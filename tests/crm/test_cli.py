"""`gpanel migrate` and `gpanel import` from the command line: migrate reports the revision
change and is a no-op the second time; import's exit status says refused (1), all rows (0) or
some rows failed (2), and its report lists each failed row with line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gpanel.cli import main
from gpanel.store.migrate import head


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return {
        "GPANEL_MODE": "demo",
        "GPANEL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "GPANEL_LOG_LEVEL": "WARNING",
    }


def test_migrate_then_import(env: dict[str, str], tmp_path: Path) -> None:
    """migrate creates the schema once; import runs with the three exit statuses."""
    runner = CliRunner()
    first = runner.invoke(main, ["migrate"], env=env)
    assert first.exit_code == 0 and f"from empty to {head()}" in first.output
    again = runner.invoke(main, ["migrate"], env=env)
    assert "nothing to do" in again.output

    good = tmp_path / "good.csv"
    good.write_text("Company Name,Website\nAcme,acme.example\nGlobex,globex.example\n")
    ok = runner.invoke(main, ["import", "companies", str(good)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "2 new and 0 updated companies" in ok.output

    mixed = tmp_path / "mixed.csv"
    mixed.write_text("Email,Name\nann@x.example,Ann Lee\nnot-an-email,Bob\n")
    partial = runner.invoke(main, ["import", "contacts", str(mixed), "--dry-run"], env=env)
    assert partial.exit_code == 2
    assert "line 3, Email: 'not-an-email' is not an email address" in partial.output

    refused = tmp_path / "refused.csv"
    refused.write_text("Phone\n555\n")
    no = runner.invoke(main, ["import", "contacts", str(refused)], env=env)
    assert no.exit_code == 1 and "Refused refused.csv" in no.output
