"""Each exclusion rule of the record panel, over real HTTP, with the "why isn't my email
here?" look-up naming the same rule; unlinking (sticky across later replies, undoable) and
private threads through the JSON API and the plain forms.
"""

from __future__ import annotations

from typing import Any

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack, seen
from tests.web.panel_kit import EMAIL, MARIA, World, build, message, subjects


def why(world: World, rep: str, text: str) -> Any:
    resp = world.client(rep).post(
        f"/api/records/contact/{world.records['maria']}/why", json={"q": text}
    )
    assert resp.status_code == 200, resp.text[:300]
    return resp.json()


def reasons(answer: Any) -> list[str]:
    return sorted(f["reason"] for f in answer["findings"])


def test_each_exclusion_hides_and_is_explained(stack: Stack) -> None:
    """Spam/trash, a look-alike address Gmail's word match lets through, group mail over the
    limit, internal-only mail (hidden from others, shown to its owner), blocked addresses (own
    rule and org-wide): none shows on Maria's record, and "why" names each rule."""
    world = build(stack, connect=["carla", "ben"])
    carla, ben = EMAIL["carla"], EMAIL["ben"]
    world.share("carla", Audience.RECORD_ACCESS, Detail.FULL)
    keep = world.deliver("carla", message(MARIA, [carla], "Shown thread")[0])
    spam = world.deliver("carla", message(MARIA, [carla], "Spam thread")[0], ["SPAM"])
    world.deliver("carla", message(MARIA, [carla], "Trash thread")[0], ["TRASH"])
    # This address contains Maria's: the emulator's loose search (a superset of Gmail's word
    # matching) returns it, so the rules must reject it themselves.
    stack.emulator.control.put("/_emulator/search", json={"mode": "loose"}).raise_for_status()
    lookalike = world.deliver("carla", message("x" + MARIA, [carla], "Lookalike thread")[0])
    crowd = [f"person{n}@crowd.example" for n in range(101)]
    world.deliver("carla", message(MARIA, [carla], "Group thread", cc=crowd)[0])
    # A thread copying a vendor, for the block rules below.
    world.deliver("carla", message(MARIA, [carla], "Vendor thread", cc=["bob@vendor.example"])[0])
    carla_client = world.client("carla")
    assert subjects(world.threads(carla_client, "contact", "maria")) == [
        "Vendor thread",
        "Shown thread",
    ]

    # Block lists: Carla's own rule for a domain; then an org-wide rule from Alice (admin).
    made = carla_client.post("/api/blocks", json={"pattern": "@vendor.example"})
    assert made.status_code == 201 and made.json()["org_wide"] is False
    assert subjects(world.threads(carla_client, "contact", "maria")) == ["Shown thread"]
    # Carla's own rule also hides her thread from Ben's view of her mailbox.
    ben_client = world.client("ben")
    assert subjects(world.threads(ben_client, "contact", "maria")) == ["Shown thread"]
    refused = carla_client.post("/api/blocks", json={"pattern": "@x.example", "org_wide": True})
    assert refused.status_code == 403
    org = world.client("alice").post("/api/blocks", json={"pattern": MARIA, "org_wide": True})
    assert org.status_code == 201
    assert world.threads(carla_client, "contact", "maria")["threads"] == []
    assert why(world, "carla", MARIA)["summary"].startswith(f"{MARIA} matches the block rule")
    world.client("alice").delete(f"/api/blocks/{org.json()['id']}")
    assert carla_client.delete(f"/api/blocks/{made.json()['id']}").status_code == 204
    assert carla_client.delete(f"/api/blocks/{org.json()['id']}").status_code == 204

    answer = why(world, "carla", MARIA)
    assert reasons(answer) == sorted(
        ["group", "not_participant", "shown", "shown", "spam_trash", "spam_trash"]
    )
    assert "Carla Reyes" in answer["searched"]
    by_thread = why(world, "carla", f"https://mail.google.com/mail/u/0/#inbox/{spam['threadId']}")
    assert reasons(by_thread) == ["spam_trash"]
    assert reasons(why(world, "carla", lookalike["threadId"])) == ["not_participant"]
    stack.emulator.control.put("/_emulator/search", json={"mode": "strict"}).raise_for_status()
    assert reasons(why(world, "carla", keep["threadId"])) == ["shown"]
    other = why(world, "carla", "someone@else.example")
    assert other["findings"] == [] and "not an address of this contact" in other["summary"]
    assert why(world, "carla", "not an address or link!")["kind"] == "unknown"

    # The org's own domain is never a CRM address, even where old data holds it (written
    # straight into the table, as the API and the importer refuse it): Ben's thread among
    # colleagues is on Acme's page for nobody, not even Ben, and "why" tells Carla nothing.
    internal = world.deliver(
        "ben", message(ben, [carla, "ops@brightwave.example"], "Internal thread")[0]
    )
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    async_add_domain(world, "acme", "brightwave.example")
    company = world.records["acme"]
    ben_rows = ben_client.get(f"/api/records/company/{company}/threads").json()
    carla_rows = carla_client.get(f"/api/records/company/{company}/threads").json()
    assert "Vendor thread" in subjects(ben_rows)
    assert "Internal thread" not in subjects(ben_rows)
    assert "Internal thread" not in subjects(carla_rows)
    answer = carla_client.post(
        f"/api/records/company/{company}/why", json={"q": internal["threadId"]}
    ).json()
    # Ben's internal mail is none of Carla's business: "why" answers as for no thread at all.
    nothing = carla_client.post(
        f"/api/records/company/{company}/why", json={"q": "NoSuchThread0000"}
    ).json()
    assert answer["findings"] == [] and answer["summary"] == nothing["summary"]


def async_add_domain(world: World, company_key: str, domain: str) -> None:
    """Give a demo company an extra domain straight in the table, as old data might hold it."""
    from sqlalchemy import insert

    from gpanel.store.tables import company_domains
    from tests.web.panel_kit import db

    async def go(engine: Any) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                insert(company_domains).values(domain=domain, company_id=world.records[company_key])
            )

    db(world.stack, go)


def test_unlink_sticks_across_replies_and_can_be_undone(stack: Stack) -> None:
    """Unlinking hides the thread from Maria's record (for everyone), a later reply in the
    same thread stays hidden, the company page still shows it, and undo brings it back with
    both messages. The plain form post works the same way and redirects with an undo link."""
    world = build(stack, connect=["carla"])
    world.share("carla", Audience.RECORD_ACCESS, Detail.FULL)
    carla = EMAIL["carla"]
    raw, first_id = message(MARIA, [carla], "Sticky thread")
    sent = world.deliver("carla", raw)
    client = world.client("carla")
    contact = world.records["maria"]
    body = {"mailbox_id": world.mailbox["carla"], "thread_id": sent["threadId"]}
    resp = client.post(f"/api/records/contact/{contact}/panel/unlink", json=body)
    assert resp.status_code == 200
    assert world.threads(client, "contact", "maria")["threads"] == []
    assert world.threads(world.client("ben"), "contact", "maria")["threads"] == []
    world.deliver("carla", message(carla, [MARIA], "Re: Sticky thread", reply_to=first_id)[0])
    assert world.threads(client, "contact", "maria")["threads"] == []
    assert subjects(world.threads(client, "company", "acme")) == ["Sticky thread"]
    assert reasons(why(world, "carla", sent["threadId"])) == ["unlinked"]
    client.post(f"/api/records/contact/{contact}/panel/relink", json=body)
    (row,) = world.threads(client, "contact", "maria")["threads"]
    assert row["count"] == 2
    # The form post (no JavaScript): redirect back to the record with an undo form.
    form = client.post(
        f"/records/contact/{contact}/panel/unlink",
        data={**{k: str(v) for k, v in body.items()}, "back": f"/records/contact/{contact}/panel"},
    )
    assert form.status_code == 303
    page = client.get(form.headers["location"])
    assert "Thread unlinked from this record" in seen(page) and "Undo" in page.text
    assert "Sticky thread" not in seen(page)


def test_private_threads_show_to_their_owner_only(stack: Stack) -> None:
    """Ben marks his thread private: Carla no longer sees it though Ben shares everything, Ben
    still does (flagged private); Carla cannot mark Ben's thread, and "why" tells her
    nothing about it (the answer of a thread that does not exist). Unmarking shares it again."""
    world = build(stack, connect=["ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    sent = world.deliver("ben", message(MARIA, [EMAIL["ben"]], "Ben private thread")[0])
    ben, carla = world.client("ben"), world.client("carla")
    contact = world.records["maria"]
    body = {"mailbox_id": world.mailbox["ben"], "thread_id": sent["threadId"]}
    assert carla.post(f"/api/records/contact/{contact}/panel/private", json=body).status_code == 403
    assert ben.post(f"/api/records/contact/{contact}/panel/private", json=body).status_code == 200
    assert world.threads(carla, "contact", "maria")["threads"] == []
    (mine,) = world.threads(ben, "contact", "maria")["threads"]
    assert mine["private"] is True
    hidden, nothing = why(world, "carla", sent["threadId"]), why(world, "carla", "NoSuchThread0")
    assert hidden["findings"] == [] and hidden["summary"] == nothing["summary"]
    assert reasons(why(world, "ben", sent["threadId"])) == ["shown"]
    # Carla may not unlink what she cannot see.
    assert carla.post(f"/api/records/contact/{contact}/panel/unlink", json=body).status_code == 403
    ben.post(f"/api/records/contact/{contact}/panel/private", json={**body, "private": False})
    assert subjects(world.threads(carla, "contact", "maria")) == ["Ben private thread"]


def test_posts_without_the_csrf_token_are_refused(stack: Stack) -> None:
    """Every panel POST needs the session's CSRF token: without it, 403 and nothing stored."""
    world = build(stack, connect=["carla"])
    client = world.client("carla")
    client.headers.pop("X-CSRF-Token")
    contact = world.records["maria"]
    body = {"mailbox_id": world.mailbox["carla"], "thread_id": "abc123"}
    assert client.post(f"/api/records/contact/{contact}/panel/unlink", json=body).status_code == 403
    assert client.post("/api/blocks", json={"pattern": "@a.example"}).status_code == 403
    assert (
        client.post(f"/records/contact/{contact}/panel/why", data={"q": MARIA}).status_code == 403
    )
    from gpanel.store.tables import blocked_addresses, unlinks

    assert stack.rows(unlinks) == [] and stack.rows(blocked_addresses) == []
