"""The org's own addresses are never CRM addresses, over real HTTP and the real CLI: a contact
address that is a gpanel user's or at the org's domain (subdomains too), a company domain that
is the org's own or free mail, are refused by the JSON API (422 naming the field, for reps and
admins alike) and by `gpanel import` (the row fails with line, column and reason). Rows written
before the rule (put straight into the database here) are ignored when a record's mail is
matched: the colleague's mail does not show on the record."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from gpanel.store.engine import sync_url
from gpanel.store.tables import company_domains, contact_emails
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, build, message, subjects

ORG = "brightwave.example"  # the demo org's domain (GPANEL_ORG_DOMAINS)


def test_api_refuses_org_addresses_and_domains(stack: Stack) -> None:
    """Contacts with a colleague's address, any address at the org's domain or a subdomain,
    and companies with the org's domain or a free-mail one, are 422 with the field named, on
    create and on change, for a rep and for the admin."""
    world = build(stack)
    for who in ("carla", "alice"):
        api = world.client(who)
        for address in (EMAIL["ben"], f"nobody@{ORG}", f"x@eu.{ORG}", "BEN@Brightwave.Example"):
            made = api.post(
                "/api/contacts", json={"first_name": "Claim", "emails": ["ok@new.example", address]}
            )
            assert made.status_code == 422, (who, address, made.text)
            assert "emails" in made.json()["error"]["fields"]
        for domain in (ORG, f"www.{ORG}", f"eu.{ORG}", "gmail.com"):
            made = api.post("/api/companies", json={"name": "Claim", "domains": [domain]})
            assert made.status_code == 422, (who, domain, made.text)
            assert "domains" in made.json()["error"]["fields"]
        maria = world.records["maria"]
        changed = api.patch(f"/api/contacts/{maria}", json={"emails": [MARIA, EMAIL["ben"]]})
        assert changed.status_code == 422 and "emails" in changed.json()["error"]["fields"]
        acme = world.records["acme"]
        changed = api.patch(f"/api/companies/{acme}", json={"domains": ["acme.example", ORG]})
        assert changed.status_code == 422 and "domains" in changed.json()["error"]["fields"]
    admin = world.client("alice")
    assert admin.get("/api/contacts", params={"email": EMAIL["ben"]}).json()["items"] == []
    fine = admin.post("/api/contacts", json={"first_name": "Ok", "emails": ["ok@new.example"]})
    assert fine.status_code == 201


def test_csv_import_reports_org_addresses_as_failed_rows(stack: Stack, tmp_path: Path) -> None:
    """`gpanel import contacts` and `companies`: rows with the org's addresses or domains fail
    with their line, column and reason; the other rows are imported."""
    build(stack)
    people = tmp_path / "contacts.csv"
    with people.open("w", newline="") as out:
        csv.writer(out).writerows(
            [
                ["First name", "Last name", "Email"],
                ["Good", "Row", "good.row@new.example"],
                ["Ben", "Again", EMAIL["ben"]],
                ["Some", "One", f"someone@{ORG}"],
            ]
        )
    firms = tmp_path / "companies.csv"
    with firms.open("w", newline="") as out:
        csv.writer(out).writerows(
            [["Name", "Domains"], ["Newco", "newco.example"], ["Us", f"eu.{ORG}"]]
        )
    env = {**os.environ, **stack.env}

    def run(kind: str, path: Path) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gpanel.cli", "import", kind, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 2, done.stdout + done.stderr  # some rows failed
        return done.stdout

    report = run("contacts", people)
    assert "imported 1 new" in report, report
    assert f"line 3, Email: {EMAIL['ben']} is the address of a gpanel user" in report, report
    assert f"line 4, Email: someone@{ORG} is at your organisation's own domain" in report
    report = run("companies", firms)
    assert f"line 3, Domains: eu.{ORG} is your organisation's own domain" in report, report


def test_old_rows_holding_org_addresses_lend_no_mail(stack: Stack) -> None:
    """Maria's contact and Acme's company made to hold Ben's address and the org's domain
    behind the API's back: Carla's panel on them still shows only the customer's thread, not
    her internal thread with Ben."""
    world = build(stack, connect=["carla"])
    carla = EMAIL["carla"]
    world.deliver("carla", message(MARIA, [carla], "Fleet question")[0])
    world.deliver("carla", message(EMAIL["ben"], [carla], "Internal pricing plan")[0])
    engine = create_engine(sync_url(stack.db_url))
    try:
        with engine.begin() as conn:
            position = len(conn.execute(select(contact_emails.c.email)).all()) + 10
            conn.execute(
                insert(contact_emails).values(
                    email=EMAIL["ben"],
                    folded=EMAIL["ben"],
                    contact_id=world.records["maria"],
                    position=position,
                )
            )
            conn.execute(
                insert(company_domains).values(domain=ORG, company_id=world.records["acme"])
            )
    finally:
        engine.dispose()
    client = world.client("carla")
    assert subjects(world.threads(client, "contact", "maria")) == ["Fleet question"]
    assert subjects(world.threads(client, "company", "acme")) == ["Fleet question"]
    assert subjects(world.threads(client, "deal", "acme-fleet", company="1")) == ["Fleet question"]
