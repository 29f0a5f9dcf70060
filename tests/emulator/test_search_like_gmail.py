"""The emulator's search as strict as Gmail's, with a loose mode that returns more.

Sources (docs/gmail-facts.md, "Reading and search"): Gmail Help, *Search operators you can use
with Gmail* (support.google.com/mail/answer/7190) and Google's *Search for messages* guide
(dates in after:/before: are read as midnight Pacific time in the API; `newer_than:2m` is two
months; `label:` names with spaces and `/` written as `-`); widely reported behaviour of
address operators (match by words: `from:@acme.com` finds mail.acme.com, not acme.community;
`from:ann@acme.com` does not find joann@); the Gmail API's snippets arrive HTML-escaped; label
colours are the palette of the bundled discovery document (`LabelColor`).
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from gpanel.emulator.search import PACIFIC, Matcher, address_matches
from tests.emulator.conftest import ANN, make_mail
from tests.emulator.test_search import Msg, mail
from tests.support.emulator import RunningEmulator


def hit(query: str, sender: str, mode: str = "strict", internal_date_ms: int = 0) -> bool:
    matcher = Matcher(query, lambda _: None, address_mode=mode)
    message = Msg(mail(sender=sender))
    if internal_date_ms:
        message.internal_date_ms = internal_date_ms
    return matcher(message)


@pytest.mark.parametrize(
    ("query", "sender", "strict", "loose"),
    [
        ("from:@acme.com", "x@mail.acme.com", True, True),
        ("from:@acme.com", "y@acme.community", False, True),
        ("from:ann@acme.com", "joann@acme.com", False, True),
        ("from:ann@acme.com", "Ann <ann@acme.com>", True, True),
        ("from:ann@acme.com", "ANN@ACME.COM", True, True),
        # Words, not addresses: a display name spelling the address matches too.
        ("from:ann@acme.com", '"ann@acme.com" <z@evil.example>', True, True),
        ("from:ann@acme.com", "ann@acme.com.evil.example", True, True),
        ("from:acme.com", "bob@acme.co", False, False),
    ],
)
def test_address_operators_match_by_words(
    query: str, sender: str, strict: bool, loose: bool
) -> None:
    """Strict: the value's words in a row among the header's words; loose: or a substring."""
    assert hit(query, sender) is strict
    assert hit(query, sender, "loose") is loose


def test_loose_never_returns_less_than_strict() -> None:
    """Whatever the header, a strict match is a loose match."""
    for header in ("x@mail.acme.com", "Ann <ann@acme.com>", "joann@acme.com", "a.b-c@d.e"):
        for value in ("@acme.com", "ann@acme.com", "acme", "b-c@d.e"):
            if address_matches(value, header, "strict"):
                assert address_matches(value, header, "loose")


def test_dates_mean_midnight_pacific() -> None:
    """after:2026/03/01 starts at 08:00 UTC (midnight PST): mail at 07:30 UTC is before it."""
    midnight = dt.datetime(2026, 3, 1, tzinfo=PACIFIC)
    assert midnight.astimezone(dt.UTC).hour == 8
    early = int(dt.datetime(2026, 3, 1, 7, 30, tzinfo=dt.UTC).timestamp() * 1000)
    late = int(dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC).timestamp() * 1000)
    assert not hit("after:2026/03/01", "bob@x.example", internal_date_ms=early)
    assert hit("before:2026/03/01", "bob@x.example", internal_date_ms=early)
    assert hit("after:2026/03/01", "bob@x.example", internal_date_ms=late)


def test_newer_than_months_are_calendar_months() -> None:
    """On 2026-05-31 12:00 UTC, newer_than:2m reaches back to 2026-03-31 12:00 (61 days), not
    60 days: mail of 2026-04-01 00:00 is newer, mail of 2026-03-31 06:00 is not."""
    now = int(dt.datetime(2026, 5, 31, 12, tzinfo=dt.UTC).timestamp() * 1000)

    def newer(when: dt.datetime) -> bool:
        matcher = Matcher("newer_than:2m", lambda _: None, now_ms=now)
        return matcher(Msg(mail(), internal_date_ms=int(when.timestamp() * 1000)))

    assert newer(dt.datetime(2026, 3, 31, 13, tzinfo=dt.UTC))
    assert not newer(dt.datetime(2026, 3, 31, 6, tzinfo=dt.UTC))


def _gmail(emulator: RunningEmulator) -> httpx.Client:
    return httpx.Client(
        base_url=f"{emulator.url}/gmail/v1/users/me",
        headers={"Authorization": f"Bearer {emulator.token(ANN)}"},
    )


def test_label_names_with_spaces_and_slashes_are_written_with_dashes(
    users: RunningEmulator,
) -> None:
    """label:crm-open-deals finds mail labelled "CRM/Open Deals"."""
    with _gmail(users) as gmail:
        label = gmail.post("/labels", json={"name": "CRM/Open Deals"}).json()["id"]
        mid = users.insert(ANN, make_mail(subject="Deal"), label_ids=["INBOX", label])["id"]
        users.insert(ANN, make_mail(subject="Other"))
        found = gmail.get("/messages", params={"q": "label:crm-open-deals"}).json()
        assert [m["id"] for m in found["messages"]] == [mid]


def test_snippets_arrive_html_escaped(users: RunningEmulator) -> None:
    """A body "Tom & Jerry's <show>" has the snippet "Tom &amp; Jerry&#39;s &lt;show&gt;"."""
    mid = users.insert(ANN, make_mail(body="Tom & Jerry's <show>"))["id"]
    with _gmail(users) as gmail:
        got = gmail.get(f"/messages/{mid}", params={"format": "minimal"}).json()
    assert got["snippet"] == "Tom &amp; Jerry&#39;s &lt;show&gt;"


def test_palette_is_the_discovery_documents(users: RunningEmulator) -> None:
    """#1e53b8, listed by the bundled discovery document, is accepted; #123456 is refused."""
    with _gmail(users) as gmail:
        newer = {"backgroundColor": "#1e53b8", "textColor": "#ffffff"}
        ok = gmail.post("/labels", json={"name": "Newer", "color": newer})
        assert ok.status_code == 200, ok.text
        bad = {"backgroundColor": "#123456", "textColor": "#ffffff"}
        assert gmail.post("/labels", json={"name": "Bad", "color": bad}).status_code == 400


def test_search_mode_is_a_setting(users: RunningEmulator) -> None:
    """PUT /_emulator/search switches the mode for every mailbox; reset restores strict."""
    users.insert(ANN, make_mail(sender="joann@acme.com"))
    with _gmail(users) as gmail:
        q = {"q": "from:ann@acme.com"}
        assert gmail.get("/messages", params=q).json().get("messages") is None
        assert users.control.put("/_emulator/search", json={"mode": "loose"}).json() == {
            "mode": "loose"
        }
        assert len(gmail.get("/messages", params=q).json()["messages"]) == 1
    assert users.control.put("/_emulator/search", json={"mode": "x"}).status_code == 400
    users.control.post("/_emulator/reset").raise_for_status()
    assert users.control.get("/_emulator/search").json() == {"mode": "strict"}
