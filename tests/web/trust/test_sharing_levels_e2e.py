"""Issue 10, holes 3 and 13: what each sharing level shows, cell by cell of the table in
docs/behaviour.md ("Sharing"), on every path a colleague can reach over HTTP: panel rows as JSON and
as the HTML fragment, the thread as JSON and as a page. Participants (From/To/Cc) and times at
every level; the subject at Full and Subject; snippet, body and attachments at Full only; Bcc,
the owner's labels, read and starred state and the MailMagnet "New" badge to the owner only.
The owner, on the same paths, sees every one of those fields. The sharing page shows the table.
"""

from __future__ import annotations

from typing import Any

import pytest

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack, seen
from tests.web.panel_kit import EMAIL, MARIA, World, build, message
from tests.web.trust.trust_kit import add_hit, make_label, thread_json, thread_page

SECRET = "secret.partner@elsewhere.example"
LABEL = "Key account zebra"
SUBJECT = "Quarterly terms walrus"
BODY = "The body says pelican twice: pelican."


def _one_row(world: World, rep: str) -> dict[str, Any]:
    (row,) = world.threads(world.client(rep), "contact", "maria")["threads"]
    return dict(row)


def _seed(world: World, detail: Detail) -> dict[str, Any]:
    world.share("ben", Audience.RECORD_ACCESS, detail)
    label = make_label(world, "ben", LABEL)
    raw, _ = message(
        EMAIL["ben"], [MARIA], SUBJECT, BODY, bcc=[SECRET], attachment=("terms.pdf", b"%PDF-1.4")
    )
    sent = world.deliver("ben", raw, ["SENT", "INBOX", "UNREAD", "STARRED", label])
    add_hit(world, "ben", sent["id"], sent["threadId"], MARIA)
    return sent


@pytest.mark.parametrize("detail", [Detail.FULL, Detail.SUBJECT, Detail.METADATA])
def test_each_level_shows_exactly_its_cells(stack: Stack, detail: Detail) -> None:
    """Carla sees Ben's thread at `detail`: each field present exactly when the table says,
    and the owner-only fields never; Ben sees all of them on the same paths."""
    world = build(stack, connect=["ben"])
    sent = _seed(world, detail)
    subject_shown = detail in (Detail.FULL, Detail.SUBJECT)
    content_shown = detail is Detail.FULL

    row = _one_row(world, "carla")
    assert row["detail"] == detail.value
    assert {p["email"] for p in row["participants"]} == {EMAIL["ben"], MARIA}  # no Bcc
    assert row["last_at"]
    assert (row["subject"] == SUBJECT) is subject_shown
    assert row["subject"] is None or subject_shown
    assert (row["snippet"] is not None and "pelican" in row["snippet"]) is content_shown
    assert row["labels"] == [] and row["starred"] is False and row["unread"] is None
    assert row["new"] is False

    fragment = world.client("carla").get(
        f"/records/contact/{world.records['maria']}/panel", params={"fragment": "1"}
    )
    assert fragment.status_code == 200
    html = fragment.text
    for absent in (SECRET, LABEL, "badge-new", "panel-star"):
        assert absent not in html, absent
    assert (SUBJECT in html) is subject_shown
    assert ("pelican" in html) is content_shown

    carla = world.client("carla")
    answer = thread_json(world, carla, "ben", sent["threadId"])
    assert answer.status_code == 200
    thread = answer.json()
    assert thread["detail"] == detail.value
    assert thread["labels"] is None and thread["unread"] is None and thread["starred"] is None
    (msg,) = thread["messages"]
    assert msg["bcc"] == [] and msg["unread"] is None
    assert {p["email"] for p in msg["from"] + msg["to"]} == {EMAIL["ben"], MARIA}
    assert msg["date"]
    assert (thread["subject"] == SUBJECT) is subject_shown
    assert (msg["subject"] == SUBJECT) is subject_shown
    assert (msg["body"] is not None) is content_shown
    assert bool(msg["attachments"]) is content_shown
    assert SECRET not in answer.text and LABEL not in answer.text
    page = thread_page(world, carla, "ben", sent["threadId"])
    assert page.status_code == 200
    assert SECRET not in page.text and LABEL not in page.text
    assert (SUBJECT in seen(page)) is subject_shown

    # The owner, on the same paths, sees every field.
    mine = _one_row(world, "ben")
    assert SECRET in {p["email"] for p in mine["participants"]}
    assert mine["subject"] == SUBJECT and "pelican" in (mine["snippet"] or "")
    assert LABEL in mine["labels"] and mine["starred"] is True and mine["unread"] is True
    assert mine["new"] is True
    ben = world.client("ben")
    own_fragment = ben.get(
        f"/records/contact/{world.records['maria']}/panel", params={"fragment": "1"}
    ).text
    assert SECRET in own_fragment or "secret.partner" in own_fragment
    assert LABEL in own_fragment and "badge-new" in own_fragment
    own = thread_json(world, ben, "ben", sent["threadId"]).json()
    assert [p["email"] for p in own["messages"][0]["bcc"]] == [SECRET]
    assert LABEL in own["labels"] and own["starred"] is True
    assert own["messages"][0]["body"] is not None


def test_bcc_alone_does_not_put_a_thread_on_a_record_for_others(stack: Stack) -> None:
    """Ben's mail to someone else with Maria in Bcc is on Maria's record for Ben, but not for
    Carla: its presence there would tell her who was blind-copied."""
    world = build(stack, connect=["ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    raw, _ = message(EMAIL["ben"], ["other@elsewhere.example"], "Blind copy owl", bcc=[MARIA])
    sent = world.deliver("ben", raw, ["SENT"])
    assert [
        r["subject"] for r in world.threads(world.client("ben"), "contact", "maria")["threads"]
    ] == ["Blind copy owl"]
    assert world.threads(world.client("carla"), "contact", "maria")["threads"] == []
    assert thread_json(world, world.client("carla"), "ben", sent["threadId"]).status_code == 404


def test_the_sharing_page_shows_the_table(stack: Stack) -> None:
    """The sharing settings page states, per level, what colleagues see: the same table."""
    world = build(stack)
    page = world.client("carla").get("/settings/sharing")
    assert page.status_code == 200
    text = seen(page)
    for cell in ("Participants (From, To, Cc) and times", "Subject", "Bcc", "New"):
        assert cell in text
    assert "data-shown-table" in page.text
