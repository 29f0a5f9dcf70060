"""The record panel end to end over real HTTP (gpanel + the Google emulator, both engines):
what each record type lists, sharing and detail levels, dedup across mailboxes, paging, the
HTML fragment, the no-JavaScript page and the embeddable page.
"""

from __future__ import annotations

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack, seen
from tests.web.panel_kit import EMAIL, MARIA, TOM, build, message, subjects


def test_each_record_type_lists_its_threads_with_crm_names(stack: Stack) -> None:
    """Carla's mailbox: a thread with Maria, one with Tom (a deal role), one with an unknown
    address at Acme's domain, one with a stranger. The contact shows Maria's; the deal its
    contacts' (Maria, Tom); the company all three Acme threads; the stranger's shows nowhere.
    Participants come back as CRM names, newest first, at full detail for the owner."""
    world = build(stack, connect=["carla"])
    carla = EMAIL["carla"]
    world.deliver("carla", message(MARIA, [carla], "Maria fleet question", "About trucks")[0])
    world.deliver("carla", message(carla, [TOM], "Tom invoice", "Numbers")[0], ["SENT"])
    world.deliver("carla", message("ops@acme.example", [carla], "Acme ops note")[0])
    world.deliver("carla", message("x@stranger.example", [carla], "Stranger hello")[0])
    client = world.client("carla")

    contact = world.threads(client, "contact", "maria")
    assert subjects(contact) == ["Maria fleet question"]
    row = contact["threads"][0]
    names = {p["email"]: p["name"] for p in row["participants"]}
    assert names[MARIA] == "Maria Schneider" and names[carla] == "Carla Reyes"
    assert row["snippet"] == "About trucks" and row["unread"] is True and row["count"] == 1
    assert row["mine"] is True and row["detail"] == "full"
    assert (
        row["url"] == f"/records/contact/{world.records['maria']}/threads/"
        f"{world.mailbox['carla']}/{row['thread_id']}"
    )

    deal = world.threads(client, "deal", "acme-fleet")
    assert subjects(deal) == ["Tom invoice", "Maria fleet question"]
    company = world.threads(client, "company", "acme")
    assert subjects(company) == ["Acme ops note", "Tom invoice", "Maria fleet question"]
    with_company = world.threads(client, "deal", "acme-fleet", company="1")
    assert subjects(with_company) == subjects(company)
    assert all("Stranger" not in (s or "") for s in subjects(company))

    # The same list as the HTML fragment and as the page that works without JavaScript.
    fragment = client.get(f"/records/contact/{world.records['maria']}/panel?fragment=1")
    assert fragment.status_code == 200 and "Maria fleet question" in seen(fragment)
    assert "<html" not in fragment.text
    page = client.get(f"/records/contact/{world.records['maria']}/panel")
    assert "<html" in page.text and "Maria fleet question" in seen(page)
    record = client.get(f"/contacts/{world.records['maria']}")
    assert "/static/panel.js" in record.text and '/panel">Show mail' in record.text


def test_sharing_settings_and_detail_levels(stack: Stack) -> None:
    """Ben's thread with Maria, viewed by Carla (same team, may open Maria's record): hidden
    while Ben shares nothing; Full shows subject and snippet; Subject hides the snippet;
    Metadata shows only participants and times; Selected shows it only to those selected."""
    world = build(stack, connect=["ben", "carla"])
    ben = EMAIL["ben"]
    world.deliver("ben", message(MARIA, [ben], "Ben pricing", "Confidential numbers")[0])
    carla = world.client("carla")

    def row() -> dict[str, object] | None:
        found = world.threads(carla, "contact", "maria")["threads"]
        return found[0] if found else None

    assert row() is None  # the default shares nothing
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    full = row()
    assert full and full["subject"] == "Ben pricing" and full["snippet"] == "Confidential numbers"
    assert full["mine"] is False and full["owner_name"] == "Ben Okafor"
    world.share("ben", Audience.RECORD_ACCESS, Detail.SUBJECT)
    subject = row()
    assert subject and subject["subject"] == "Ben pricing" and subject["snippet"] is None
    world.share("ben", Audience.RECORD_ACCESS, Detail.METADATA)
    meta = row()
    assert meta and meta["subject"] is None and meta["snippet"] is None
    assert meta["labels"] == [] and meta["unread"] is None and meta["count"] == 1
    assert {p["email"] for p in meta["participants"]} == {MARIA, ben}  # type: ignore[attr-defined]
    fragment = carla.get(f"/records/contact/{world.records['maria']}/panel?fragment=1")
    assert "Ben pricing" not in fragment.text and "Confidential" not in fragment.text
    world.share("ben", Audience.SELECTED, Detail.FULL, users=["alice"])
    assert row() is None
    world.share("ben", Audience.SELECTED, Detail.FULL, users=["carla"])
    assert row() is not None
    # Dev (West) may not open Carla's record at all: 403, for the page and the API.
    dev = world.client("dev")
    assert dev.get(f"/api/records/contact/{world.records['maria']}/threads").status_code == 403
    assert dev.get(f"/records/contact/{world.records['maria']}/panel").status_code == 403


def test_same_message_in_two_mailboxes_shows_once(stack: Stack) -> None:
    """Maria writes to Ben and Carla (one Message-ID, two mailboxes). Carla sees one row, her
    own copy; Alice (admin, owner of neither) sees one row, from the mailbox sharing more."""
    world = build(stack, connect=["ben", "carla"])
    raw, _ = message(MARIA, [EMAIL["ben"], EMAIL["carla"]], "Joint update", "For both")
    world.deliver("ben", raw)
    world.deliver("carla", raw)
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    world.share("carla", Audience.RECORD_ACCESS, Detail.METADATA)
    carla_view = world.threads(world.client("carla"), "contact", "maria")
    assert subjects(carla_view) == ["Joint update"]
    assert carla_view["threads"][0]["mailbox_id"] == world.mailbox["carla"]
    alice_view = world.threads(world.client("alice"), "contact", "maria")
    assert len(alice_view["threads"]) == 1
    (row,) = alice_view["threads"]
    assert row["mailbox_id"] == world.mailbox["ben"] and row["detail"] == "full"
    assert set(alice_view["searched"]) == {"Ben Okafor", "Carla Reyes"}


def test_paging_with_merged_page_tokens(stack: Stack) -> None:
    """55 threads with Maria in Carla's mailbox: the first page holds 50, newest first, with an
    opaque token; the second the remaining 5; no thread twice; a forged token is a 400."""
    world = build(stack, connect=["carla"])
    for n in range(55):
        world.deliver("carla", message(MARIA, [EMAIL["carla"]], f"Thread {n:02d}")[0])
    client = world.client("carla")
    first = world.threads(client, "contact", "maria")
    assert len(first["threads"]) == 50 and first["next_page"]
    assert subjects(first)[0] == "Thread 54"
    times = [t["last_at"] for t in first["threads"]]
    assert times == sorted(times, reverse=True)
    second = world.threads(client, "contact", "maria", page=first["next_page"])
    assert subjects(second) == [f"Thread {n:02d}" for n in range(4, -1, -1)]
    assert second["next_page"] is None
    ids = {t["thread_id"] for t in first["threads"] + second["threads"]}
    assert len(ids) == 55
    bad = client.get(f"/api/records/contact/{world.records['maria']}/threads?page=nonsense")
    assert bad.status_code == 400
    more = client.get(f"/records/contact/{world.records['maria']}/panel?fragment=1")
    assert "More threads" in more.text


def test_embeddable_page_is_framable_and_complete(stack: Stack) -> None:
    """/embed/... is a whole page (its own CSS, script and CSRF token) under the configured
    frame-ancestors, with no inline script."""
    world = build(stack, connect=["carla"])
    world.deliver("carla", message(MARIA, [EMAIL["carla"]], "Embedded hello")[0])
    page = world.client("carla").get(f"/embed/contact/{world.records['maria']}")
    assert page.status_code == 200 and "Embedded hello" in seen(page)
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors {stack.settings.frame_ancestors}" in csp
    assert "x-frame-options" not in page.headers
    assert 'name="csrf-token"' in page.text and "/static/panel.js" in page.text
    assert "<script>" not in page.text and "onclick" not in page.text


def test_embed_signed_out_offers_sign_in_in_a_new_tab(stack: Stack) -> None:
    """Framed and signed out, the embed page does not send the frame to Google's sign-in (which
    refuses framing): it offers sign-in in a tab of its own and comes back to the embed."""
    world = build(stack, connect=["carla"])
    page = stack.browser().get(f"/embed/contact/{world.records['maria']}")
    assert page.status_code == 401
    assert 'target="_blank"' in page.text
    assert f'/auth/login?next=/embed/contact/{world.records["maria"]}"' in page.text
