"""Issue 10, hole 1 at read time: records written before references were checked (rows a
migration of old data left as they were) that point at records their viewer may not open lend
nothing. A deal of Carla's (East) whose primary contact, role contact and company are Dev's
(West) shows Carla none of those records and none of the mail only they reach: the deal page,
`/api/records/deal/{id}/threads` (with and without the company), the thread page, the thread
JSON and "why" all answer as for a thread off the record. A deal of Emma's (West, Dev's team,
so she may open his contact) with the same references still shows it, and so does a company
of Carla's own whose old contact row is Dev's (a company lends only the contacts one may open).
"""

from __future__ import annotations

from typing import Any

from gpanel.crm import companies, contacts, deals
from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, World, build, db, message, subjects

HUGO = "hugo@hidden-works.example"


def _old_rows(world: World) -> dict[str, int]:
    """Written straight to the store, past the API's reference checks, as old data would be."""
    dev, carla, emma = (world.user_ids[k] for k in ("dev", "carla", "emma"))

    async def go(engine: Any) -> dict[str, int]:
        async with engine.begin() as conn:
            works = await companies.create_company(
                conn, name="Hidden Works", domains=["hidden-works.example"], owner_id=dev
            )
            hugo = await contacts.create_contact(
                conn,
                first_name="Hugo",
                last_name="Hidden",
                emails=[HUGO],
                owner_id=dev,
                company_id=works.id,
            )
            mine = await companies.create_company(conn, name="Carla's Own Co", owner_id=carla)
            stray = await contacts.create_contact(
                conn,
                first_name="Stray",
                last_name="Row",
                emails=["stray@elsewhere.example"],
                owner_id=dev,
                company_id=mine.id,
            )
            borrowed = await deals.create_deal(
                conn,
                name="Borrowed deal",
                stage="Proposal",
                owner_id=carla,
                company_id=works.id,
                primary_contact_id=hugo.id,
                roles=[(hugo.id, "Champion")],
            )
            rightful = await deals.create_deal(
                conn,
                name="Rightful deal",
                stage="Proposal",
                owner_id=emma,
                company_id=works.id,
                primary_contact_id=hugo.id,
            )
        return {
            "hugo": hugo.id,
            "works": works.id,
            "mine": mine.id,
            "stray": stray.id,
            "borrowed": borrowed.id,
            "rightful": rightful.id,
        }

    return db(world.stack, go)


def test_old_references_lend_no_mail(stack: Stack) -> None:
    world = build(stack, connect=["dev"])
    world.share("dev", Audience.RECORD_ACCESS, Detail.FULL)
    ids = _old_rows(world)
    world.records.update(ids)
    dev = EMAIL["dev"]
    hidden = world.deliver("dev", message(HUGO, [dev], "Hugo's secret pricing")[0])
    via_domain = world.deliver(
        "dev", message("ops@hidden-works.example", [dev], "Works ops note")[0]
    )
    stray = world.deliver("dev", message("stray@elsewhere.example", [dev], "Stray talk")[0])
    carla, emma = world.client("carla"), world.client("emma")
    tid = hidden["threadId"]
    deal = ids["borrowed"]

    # Carla may not open the referenced records themselves...
    assert carla.get(f"/api/contacts/{ids['hugo']}").status_code == 403
    assert carla.get(f"/api/companies/{ids['works']}").status_code == 403
    # ... so her own deal neither lists them nor lends their mail, on any path.
    page = carla.get(f"/deals/{deal}")
    assert page.status_code == 200
    assert "Hugo" not in page.text and "Hidden Works" not in page.text
    assert subjects(world.threads(carla, "deal", "borrowed")) == []
    assert subjects(world.threads(carla, "deal", "borrowed", company="1")) == []
    api = carla.get(
        f"/api/threads/{world.mailbox['dev']}/{tid}",
        params={"record_type": "deal", "record_id": str(deal)},
    )
    assert api.status_code == 404, api.text[:300]
    assert "secret pricing" not in api.text
    opened = carla.get(f"/records/deal/{deal}/threads/{world.mailbox['dev']}/{tid}")
    assert opened.status_code == 404 and "secret pricing" not in opened.text
    domain_api = carla.get(
        f"/api/threads/{world.mailbox['dev']}/{via_domain['threadId']}",
        params={"record_type": "deal", "record_id": str(deal)},
    )
    assert domain_api.status_code == 404
    why = carla.post(f"/api/records/deal/{deal}/why", json={"q": HUGO})
    assert why.status_code == 200 and "secret pricing" not in why.text
    assert [f["reason"] for f in why.json()["findings"]] == []

    # Emma is in Dev's team: she may open Hugo and his company, and her deal shows his mail.
    assert emma.get(f"/api/contacts/{ids['hugo']}").status_code == 200
    assert subjects(world.threads(emma, "deal", "rightful")) == ["Hugo's secret pricing"]
    with_company = subjects(world.threads(emma, "deal", "rightful", company="1"))
    assert sorted(s or "" for s in with_company) == ["Hugo's secret pricing", "Works ops note"]
    shown = emma.get(
        f"/api/threads/{world.mailbox['dev']}/{tid}",
        params={"record_type": "deal", "record_id": str(ids["rightful"])},
    )
    assert shown.status_code == 200 and "secret pricing" in shown.text
    ops = emma.get(
        f"/api/threads/{world.mailbox['dev']}/{via_domain['threadId']}",
        params={"record_type": "deal", "record_id": str(ids["rightful"])},
    )
    assert ops.status_code == 200
    assert "Hugo" in emma.get(f"/deals/{ids['rightful']}").text
    emma_why = emma.post(f"/api/records/deal/{ids['rightful']}/why", json={"q": HUGO})
    assert [f["reason"] for f in emma_why.json()["findings"]] == ["shown"]

    # A company lends only the contacts the viewer may open: Dev's stray row on Carla's own
    # company shows her nothing; Dev, the contact's owner, has the thread in his own mailbox.
    assert subjects(world.threads(carla, "company", "mine")) == []
    assert "Stray" not in carla.get(f"/companies/{ids['mine']}").text
    assert stray["threadId"]


def test_old_references_lend_no_merge_fields_or_quotes(stack: Stack) -> None:
    """A template rendered for Carla's deal leaves the hidden primary contact's and company's
    merge fields missing (their name and address are not hers to read), while Emma's render
    fills them; the compose page for a reply to Dev's thread quotes nothing of it."""
    world = build(stack, connect=["dev"])
    world.share("dev", Audience.RECORD_ACCESS, Detail.FULL)
    ids = _old_rows(world)
    hidden = world.deliver("dev", message(HUGO, [EMAIL["dev"]], "Hugo's secret pricing")[0])
    carla, emma = world.client("carla"), world.client("emma")
    body = {
        "name": "Intro",
        "subject": "Hi {{contact.first_name}}",
        "text": "To {{contact.email}} at {{company.name}} about {{deal.name}}",
        "status": "published",
    }
    rendered: dict[str, Any] = {}
    for who, client, deal in (("carla", carla, "borrowed"), ("emma", emma, "rightful")):
        made = client.post("/api/templates", json=body)
        assert made.status_code == 201, made.text
        record = {"type": "deal", "id": ids[deal]}
        answer = client.post(
            "/api/mail/render", json={"template_id": made.json()["id"], "record": record}
        )
        assert answer.status_code == 200, answer.text
        rendered[who] = answer.json()
    assert HUGO not in str(rendered["carla"]) and "Hidden Works" not in str(rendered["carla"])
    assert rendered["carla"]["missing"] == ["contact.first_name", "contact.email", "company.name"]
    assert HUGO in rendered["emma"]["text"] and "Hidden Works" in rendered["emma"]["text"]
    assert rendered["emma"]["missing"] == []

    compose = carla.get(
        f"/records/deal/{ids['borrowed']}/compose",
        params={
            "mode": "forward",
            "mailbox_id": str(world.mailbox["dev"]),
            "thread_id": hidden["threadId"],
            "message_id": hidden["id"],
        },
    )
    assert compose.status_code == 200
    assert "secret pricing" not in compose.text and HUGO not in compose.text


def test_thread_view_names_only_contacts_the_viewer_may_open(stack: Stack) -> None:
    """On a thread Carla may open (with an org-wide contact), Hugo, Dev's contact, is a bare
    address for her, on the thread page, its JSON and the panel's rows: neither his CRM name
    nor a link to his record; Emma, in Dev's team, sees both."""
    world = build(stack, connect=["dev"])
    world.share("dev", Audience.RECORD_ACCESS, Detail.FULL)
    ids = _old_rows(world)

    async def go(engine: Any) -> int:
        async with engine.begin() as conn:
            olga = await contacts.create_contact(
                conn, first_name="Olga", last_name="Open", emails=["olga@open-co.example"]
            )
        return olga.id

    olga = db(stack, go)
    sent = world.deliver(
        "dev", message("olga@open-co.example", [EMAIL["dev"]], "Open thread", cc=[HUGO])[0]
    )
    path = f"/records/contact/{olga}/threads/{world.mailbox['dev']}/{sent['threadId']}"
    carla, emma = world.client("carla"), world.client("emma")
    for_carla, for_emma = carla.get(path), emma.get(path)
    assert for_carla.status_code == 200 and for_emma.status_code == 200
    assert HUGO in for_carla.text
    assert "Hugo Hidden" not in for_carla.text
    assert f"/contacts/{ids['hugo']}" not in for_carla.text
    assert "Hugo Hidden" in for_emma.text and f"/contacts/{ids['hugo']}" in for_emma.text
    api = carla.get(
        f"/api/threads/{world.mailbox['dev']}/{sent['threadId']}",
        params={"record_type": "contact", "record_id": str(olga)},
    )
    assert api.status_code == 200 and "Hugo Hidden" not in api.text
    rows = {
        w: c.get(f"/api/records/contact/{olga}/threads") for w, c in (("c", carla), ("e", emma))
    }
    assert rows["c"].status_code == 200 and "Open thread" in rows["c"].text
    assert "Hugo Hidden" not in rows["c"].text and "Hugo Hidden" in rows["e"].text


def test_contact_category_comes_only_from_deals_the_viewer_may_open(stack: Stack) -> None:
    """An org-wide contact on a won deal of Dev's: Emma (his team) reads "Customers" on the
    contact's page; Carla, who may not open that deal, reads no category from it."""
    world = build(stack)
    dev = world.user_ids["dev"]

    async def go(engine: Any) -> int:
        async with engine.begin() as conn:
            olga = await contacts.create_contact(
                conn, first_name="Olga", last_name="Open", emails=["olga@open-co.example"]
            )
            await deals.create_deal(
                conn,
                name="Dev's won deal",
                stage="Closed Won",
                owner_id=dev,
                primary_contact_id=olga.id,
            )
        return olga.id

    olga = db(stack, go)
    carla, emma = world.client("carla"), world.client("emma")
    assert "Customers" in emma.get(f"/contacts/{olga}").text
    seen = carla.get(f"/contacts/{olga}")
    assert seen.status_code == 200
    assert "Customers" not in seen.text and "won deal" not in seen.text
