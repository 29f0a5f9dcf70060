"""A team mailbox world on top of `tests.support.stack`, everything over real HTTP: the shared
Google account sales@ in the emulator, teams Sales and Support, Alice the admin, Ben and Emma
dispatchers of Sales, Carla a member of Sales, Dev of Support (another team). Alice connects
sales@ through gpanel's team connect flow and the emulator's consent, then gives it to Sales
and names the dispatchers on the settings page. Customer mail is inserted into sales@."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import insert, select, update

from gpanel.crm.companies import create_company
from gpanel.crm.contacts import create_contact
from gpanel.store.tables import team_mailboxes, teams, users
from tests.support.stack import Stack, csrf
from tests.web.thread_support import ALICE, BEN, CARLA, db, mail

SALES_BOX = "sales@brightwave.example"
DEV = "dev@brightwave.example"
EMMA = "emma@brightwave.example"
PAT = "pat@acme.example"


@dataclass
class TeamWorld:
    stack: Stack
    alice: httpx.Client
    ben: httpx.Client
    carla: httpx.Client
    dev: httpx.Client
    emma: httpx.Client
    box_id: int
    ids: dict[str, int] = field(default_factory=dict)
    team_ids: dict[str, int] = field(default_factory=dict)
    contact_id: int = 0

    def customer_mail(self, subject: str, text: str, sender: str = f"Pat <{PAT}>") -> str:
        raw, _ = mail(sender, SALES_BOX, subject, text)
        return str(self.stack.emulator.insert(SALES_BOX, raw)["threadId"])

    def client(self, email: str) -> httpx.Client:
        return {
            ALICE: self.alice,
            BEN: self.ben,
            CARLA: self.carla,
            DEV: self.dev,
            EMMA: self.emma,
        }[email]

    def api(self, email: str, method: str, path: str, body: Any = None) -> httpx.Response:
        who = self.client(email)
        headers = {"X-CSRF-Token": csrf(who, "/team-mailboxes")} if method != "GET" else {}
        return who.request(method, path, json=body, headers=headers)

    def threads(self, email: str, query: str = "") -> httpx.Response:
        return self.api(email, "GET", f"/api/team-mailboxes/{self.box_id}/threads{query}")

    def move_to_team(self, email: str, team: str) -> None:
        async def go(engine: Any) -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    update(users).where(users.c.email == email).values(team_id=self.team_ids[team])
                )

        db(self.stack, go)


def configure(world: TeamWorld, dispatchers: list[str], **options: str) -> httpx.Response:
    page = f"/team-mailboxes/{world.box_id}/settings"
    data: dict[str, Any] = {
        "csrf_token": csrf(world.alice, page),
        "name": "Sales inbox",
        "team_ids": [str(world.team_ids["Sales"])],
        "dispatcher_ids": [str(world.ids[d]) for d in dispatchers],
        "banner_statuses": ["unassigned", "assigned", "in_progress", "closed", "overdue"],
        "response_hours": "4",
        "members_may_take": "on",
        **options,
    }
    return world.alice.post(page, data=data)


def build_team_world(stack: Stack) -> TeamWorld:
    stack.emulator.add_user(SALES_BOX, "Brightwave Sales")
    alice = stack.sign_in(ALICE)
    people = {e: stack.sign_in(e) for e in (BEN, CARLA, DEV, EMMA)}

    async def seed(engine: Any) -> tuple[dict[str, int], dict[str, int], int]:
        async with engine.begin() as conn:
            made = {}
            for name in ("Sales", "Support"):
                made[name] = (
                    await conn.execute(
                        insert(teams).values(name=name, created_at=_now()).returning(teams.c.id)
                    )
                ).scalar_one()
            for email, team in (
                (BEN, "Sales"),
                (CARLA, "Sales"),
                (EMMA, "Sales"),
                (DEV, "Support"),
            ):
                await conn.execute(
                    update(users).where(users.c.email == email).values(team_id=made[team])
                )
            rows = (await conn.execute(select(users.c.id, users.c.email))).all()
            acme = await create_company(conn, name="Acme", domains=["acme.example"])
            pat = await create_contact(
                conn, first_name="Pat", last_name="Buyer", emails=[PAT], company_id=acme.id
            )
        return {r.email: int(r.id) for r in rows}, made, int(pat.id)

    ids, team_ids, contact_id = db(stack, seed)
    stack.queue_consent(SALES_BOX)
    connected = alice.get("/team-mailboxes/connect")
    assert connected.status_code == 200, connected.text[:500]
    assert "is connected" in connected.text, connected.text[:500]
    match = re.search(r"/team-mailboxes/(\d+)/settings", str(connected.url))
    assert match, connected.url
    world = TeamWorld(
        stack,
        alice,
        people[BEN],
        people[CARLA],
        people[DEV],
        people[EMMA],
        int(match.group(1)),
        ids,
        team_ids,
        contact_id,
    )
    saved = configure(world, [BEN, EMMA])
    assert saved.status_code == 200 and "Saved." in saved.text, saved.text[:500]
    return world


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def box_rows(stack: Stack) -> list[Any]:
    return stack.rows(team_mailboxes)


def api_token(client: httpx.Client, scopes: list[str]) -> dict[str, str]:
    """A personal API token of `client`'s person with exactly `scopes`, as a bearer header."""
    page = client.post(
        "/settings/api-tokens",
        data={"name": "t", "scopes": scopes, "scopes_offered": "1"},
        headers={"X-CSRF-Token": csrf(client, "/settings/api-tokens")},
    )
    found = re.search(r'<code class="token">(gp_[^<]+)</code>', page.text)
    assert found, page.text[:300]
    return {"Authorization": f"Bearer {found.group(1)}"}
