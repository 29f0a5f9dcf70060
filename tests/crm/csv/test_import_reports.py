"""`gpanel import contacts` on the cases that misled people, with the exact lines it prints.

- A row with only an external id creates nothing (it used to create a contact with no name and
  no address, shown as "None"): it fails, saying a new contact needs a name or an address. The
  same row for a contact that exists changes nothing.
- A row whose address belongs to a contact with another external id fails, naming both ids (it
  used to rename that contact and replace its external id, reporting "1 updated"). An address
  on a contact with no external id still matches it, and the row gives it its external id.
- Progress lines say rows were checked (dry run) or processed, never "imported" for rows that
  then fail; the summary says how many were imported and how many failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, select

from gpanel.cli import main
from gpanel.store.tables import contact_emails, contacts


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    env = {
        "GPANEL_MODE": "demo",
        "GPANEL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "GPANEL_LOG_LEVEL": "WARNING",
    }
    assert CliRunner().invoke(main, ["migrate"], env=env).exit_code == 0
    return env


def _import(env: dict[str, str], path: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["import", "contacts", str(path), *extra], env=env)


def _people(env: dict[str, str]) -> list[tuple[str | None, str, str, list[str]]]:
    engine = create_engine(env["GPANEL_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(contacts).order_by(contacts.c.id)).all()
            return [
                (
                    r.external_id,
                    r.first_name,
                    r.last_name,
                    list(
                        conn.execute(
                            select(contact_emails.c.email)
                            .where(contact_emails.c.contact_id == r.id)
                            .order_by(contact_emails.c.position)
                        ).scalars()
                    ),
                )
                for r in rows
            ]
    finally:
        engine.dispose()


def _lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_a_row_with_only_an_id_creates_nothing(env: dict[str, str], tmp_path: Path) -> None:
    """No empty contact: the row fails with a reason; for an existing id it changes nothing."""
    only_id = tmp_path / "only-id.csv"
    only_id.write_text("External ID,First name,Last name,Email\ncrm-9,,,\n")
    result = _import(env, only_id)
    assert result.exit_code == 2, result.output
    assert _lines(result)[-3:] == [
        "only-id.csv (utf-8): 1 rows; imported 0 new and 0 updated contacts; 1 rows failed.",
        "Failed rows:",
        "  line 2, Email: a new contact needs a name or an email address",
    ]
    assert _people(env) == []

    known = tmp_path / "known.csv"
    known.write_text("External ID,First name,Last name,Email\ncrm-9,Ann,Lee,ann@acme.example\n")
    assert _import(env, known).exit_code == 0
    again = _import(env, only_id)
    assert again.exit_code == 0, again.output
    assert "imported 0 new and 1 updated contacts; 0 rows failed." in again.output
    assert _people(env) == [("crm-9", "Ann", "Lee", ["ann@acme.example"])]


def test_an_address_of_a_contact_with_another_external_id_fails_the_row(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The holder keeps its name and external id; the report names both ids."""
    first = tmp_path / "first.csv"
    first.write_text(
        "External ID,First name,Last name,Email\n"
        "crm-1,Ann,Lee,ann@acme.example\n"
        ",Bob,Stone,bob@acme.example\n"
    )
    assert _import(env, first).exit_code == 0
    clash = tmp_path / "clash.csv"
    clash.write_text(
        "External ID,First name,Last name,Email\n"
        "crm-2,Someone,Else,ann@acme.example\n"
        "crm-3,Robert,Stone,bob@acme.example\n"
    )
    result = _import(env, clash)
    assert result.exit_code == 2, result.output
    assert _lines(result)[-3:] == [
        "clash.csv (utf-8): 2 rows; imported 0 new and 1 updated contacts; 1 rows failed.",
        "Failed rows:",
        "  line 2, Email: ann@acme.example belongs to contact 1, whose external id is crm-1, "
        "not crm-2",
    ]
    assert _people(env) == [
        ("crm-1", "Ann", "Lee", ["ann@acme.example"]),
        ("crm-3", "Robert", "Stone", ["bob@acme.example"]),  # had no external id: adopted
    ]


@pytest.mark.parametrize("dry_run", [False, True])
def test_progress_never_says_imported_for_rows_that_fail(
    env: dict[str, str], tmp_path: Path, dry_run: bool
) -> None:
    """7 rows, 2 bad: the progress line counts rows checked/processed, then the summary says
    5 imported (or would be) and 2 failed, in that order."""
    rows = [f"crm-{i},Person,Number{i},p{i}@acme.example" for i in range(5)]
    rows += ["crm-5,Bad,Address,not-an-email", "crm-6,,,"]
    f = tmp_path / "seven.csv"
    f.write_text("External ID,First name,Last name,Email\n" + "\n".join(rows) + "\n")
    result = _import(env, f, *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.output
    verb = "would import" if dry_run else "imported"
    assert _lines(result) == [
        f"{'checked' if dry_run else 'processed'} 7/7 rows (100%)",
        f"seven.csv (utf-8): 7 rows; {verb} 5 new and 0 updated contacts; 2 rows failed.",
        "Failed rows:",
        "  line 7, Email: 'not-an-email' is not an email address",
        "  line 8, Email: a new contact needs a name or an email address",
    ]
    assert all("imported 7/7" not in line for line in _lines(result))
    assert len(_people(env)) == (0 if dry_run else 5)
