"""The deterministic demo mailboxes: same bytes every run, and every case the demo must show.

The generator is checked as data (`build_demo`) and as mailboxes (`seed_demo` into a real
`EmulatorState`, then read back through the Gmail API over HTTP), so threading, labels and
MIME parsing are those of the emulator itself.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

import pytest

from gpanel.demo import cast
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.demo_mail.mailboxes import build_demo, demo_summary, seed_demo
from gpanel.emulator.demo_mail.story import Delivery
from gpanel.emulator.state import EmulatorState
from tests.support.emulator import RunningEmulator

TODAY = dt.date(2026, 3, 15)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def participants(message: EmailMessage) -> set[str]:
    values = [str(message.get(h, "")) for h in ("From", "To", "Cc")]
    return {address.lower() for _, address in getaddresses(values) if address}


@pytest.fixture(scope="module")
def deliveries() -> tuple[Delivery, ...]:
    return build_demo(TODAY).deliveries


@pytest.fixture(scope="module")
def seeded() -> EmulatorState:
    state = EmulatorState(EmulatorConfig())
    seed_demo(state, TODAY)
    return state


def test_two_runs_give_identical_bytes() -> None:
    """Generated twice for the same day, the demo is byte-for-byte the same; another day only
    moves the dates."""
    first, second = build_demo(TODAY).deliveries, build_demo(TODAY).deliveries
    assert [(d.mailbox, d.raw, d.label_ids, d.internal_date_ms) for d in first] == [
        (d.mailbox, d.raw, d.label_ids, d.internal_date_ms) for d in second
    ]
    later = build_demo(TODAY + dt.timedelta(days=1)).deliveries
    assert [d.message_id for d in later] == [d.message_id for d in first]
    shift = 86_400_000
    assert [d.internal_date_ms + shift for d in first] == [d.internal_date_ms for d in later]


def test_seeding_matches_the_summary(seeded: EmulatorState) -> None:
    """A few hundred messages in the reps' mailboxes; demo_summary counts what is there.
    (Seeding takes about a third of a second; no timing is asserted, to stay stable on CI.)"""
    summary = demo_summary(TODAY)
    assert 200 <= summary["messages"] <= 600
    assert summary["per_mailbox"] == {m.owner: len(m.messages) for m in seeded.mailboxes()}
    assert {m.owner for m in seeded.mailboxes()} == {r.email for r in cast.REPS}
    for label in ("SPAM", "TRASH", "UNREAD", "STARRED", "SENT", "INBOX"):
        assert summary["labels"][label] > 0, label


def test_dates_fall_in_the_ninety_days_before_today(deliveries: tuple[Delivery, ...]) -> None:
    """internalDate and the Date header agree, and both lie in [today - 90 days, today)."""
    end = dt.datetime.combine(TODAY, dt.time(0), dt.UTC)
    for d in deliveries:
        when = parsedate_to_datetime(str(parse(d.raw)["Date"]))
        assert int(when.timestamp() * 1000) == d.internal_date_ms
        assert end - dt.timedelta(days=90) <= when < end


def test_every_contact_with_a_deal_has_a_thread_with_its_owner(seeded: EmulatorState) -> None:
    """Each deal's primary contact and contact roles take part in mail in the owner's mailbox,
    and each primary contact has a thread with replies."""
    for deal in cast.DEALS:
        mailbox = seeded.mailbox(cast.rep(deal.owner).email)
        keys = [deal.primary_contact, *(k for k, _ in deal.roles)]
        for key in keys:
            addresses = {a.lower() for a in cast.person(key).emails}
            threads = {
                m.thread_id
                for m in mailbox.messages.values()
                if participants(parse(m.raw)) & addresses
            }
            assert threads, (deal.key, key)
            if key == deal.primary_contact:
                assert max(len(mailbox.threads[t]) for t in threads) >= 2, deal.key


def test_replies_thread_in_the_emulator(seeded: EmulatorState) -> None:
    """Every reply carries In-Reply-To/References and lands in its parent's thread."""
    replies = 0
    for mailbox in seeded.mailboxes():
        by_message_id = {parse(m.raw)["Message-ID"]: m for m in mailbox.messages.values()}
        for message in mailbox.messages.values():
            parsed = parse(message.raw)
            parent = by_message_id.get(parsed.get("In-Reply-To"))
            if parent is None:
                continue
            replies += 1
            assert str(parsed["Subject"]).startswith("Re: ")
            assert str(parsed["References"]).split()[-1] == parsed["In-Reply-To"]
            assert message.thread_id == parent.thread_id
    assert replies > 50


def test_labels_follow_direction(deliveries: tuple[Delivery, ...]) -> None:
    """A rep's own mail is SENT without INBOX or UNREAD; mail to a rep is never SENT."""
    for d in deliveries:
        sender = getaddresses([str(parse(d.raw)["From"])])[0][1].lower()
        if sender == d.mailbox:
            assert "SENT" in d.label_ids
            assert not {"INBOX", "UNREAD"} & set(d.label_ids)
        else:
            assert "SENT" not in d.label_ids


def test_the_same_message_reaches_two_reps(deliveries: tuple[Delivery, ...]) -> None:
    """A contact copying a second rep gives one message, one Message-ID, in two mailboxes."""
    contacts = {a.lower() for p in cast.PEOPLE for a in p.emails}
    shared: dict[str, list[Delivery]] = {}
    for d in deliveries:
        shared.setdefault(d.message_id, []).append(d)
    pairs = [
        copies
        for copies in shared.values()
        if len({c.mailbox for c in copies}) >= 2
        and getaddresses([str(parse(copies[0].raw)["From"])])[0][1].lower() in contacts
    ]
    assert len(pairs) >= 3
    for copies in pairs:
        assert len({c.raw for c in copies}) == 1


def test_charsets_decode(deliveries: tuple[Delivery, ...]) -> None:
    """ISO-8859-1, Shift_JIS and windows-1252 bodies and an RFC 2047 UTF-8 subject decode."""
    expected = {
        "iso-8859-1": "déploiement dans nos hôtels",
        "shift_jis": "お世話になっております",
        "windows-1252": "The €9,000 figure",
    }
    found: dict[str, str] = {}
    for d in deliveries:
        message = parse(d.raw)
        charset = message.get_content_charset()
        if charset in expected and not message.is_multipart():
            found[charset] = message.get_content()
    for charset, words in expected.items():
        assert words in found[charset], charset
    subjects = [str(parse(d.raw)["Subject"]) for d in deliveries]
    assert any("ERP連携の件" in s for s in subjects)
    assert any(b"=?utf-8?" in d.raw.split(b"\r\n\r\n")[0] for d in deliveries)


def test_special_messages_are_present(deliveries: tuple[Delivery, ...]) -> None:
    """The demo has an inline cid: PNG, a PDF and a CSV attachment, HTML-only mail, hostile
    HTML, a newsletter to over 100 Cc with List-Unsubscribe, free-mail senders, internal-only
    threads, and spam and trash."""
    kinds: set[str] = set()
    org = "@" + cast.ORG_DOMAIN
    for d in deliveries:
        message = parse(d.raw)
        for part in message.walk():
            content_type = part.get_content_type()
            if part.get("Content-ID") == "<logo>":
                assert part.get_content().startswith(b"\x89PNG\r\n\x1a\n")
                kinds.add("inline-png")
            if content_type == "application/pdf":
                pdf = part.get_content()
                assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
                for number, offset in enumerate(re.findall(rb"(\d{10}) 00000 n", pdf), 1):
                    assert pdf[int(offset) :].startswith(str(number).encode() + b" 0 obj")
                kinds.add("pdf")
            if content_type == "text/csv":
                assert part.get_content().startswith("vehicle,plate,depot")
                kinds.add("csv")
            if content_type == "text/html":
                html = part.get_content()
                if "<script>" in html and "onerror=" in html and 'width="1"' in html:
                    kinds.add("hostile")
        if not message.is_multipart() and message.get_content_type() == "text/html":
            kinds.add("html-only")
        cc = getaddresses([str(message.get("Cc", ""))])
        if len(cc) > 100 and message.get("List-Unsubscribe"):
            kinds.add("newsletter")
        people = participants(message)
        if any(p.endswith(("@outlook.com", "@gmail.com")) for p in people):
            kinds.add("free-mail")
        if people and all(p.endswith(org) for p in people):
            kinds.add("internal")
        kinds.update(label for label in ("SPAM", "TRASH") if label in d.label_ids)
    assert kinds == {
        "inline-png", "pdf", "csv", "hostile", "html-only", "newsletter", "free-mail",
        "internal", "SPAM", "TRASH",
    }  # fmt: skip


def test_demo_mailbox_over_the_gmail_api(emulator: RunningEmulator) -> None:
    """Seeded into a running emulator, a rep's demo mail lists, searches and decodes through
    the Gmail API like any other mail."""
    seed_demo(emulator.state, TODAY)
    token = emulator.token("carla@brightwave.example")
    headers = {"Authorization": f"Bearer {token}"}
    api = "/gmail/v1/users/me"
    found = emulator.control.get(
        api + "/messages", params={"q": "from:zoe.novak@vandelay.example"}, headers=headers
    ).json()
    assert found["messages"]
    full = emulator.control.get(
        api + f"/messages/{found['messages'][0]['id']}", params={"format": "full"}, headers=headers
    ).json()
    values = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert "zoe.novak@vandelay.example" in values["From"]
    raw = emulator.state.mailbox("carla@brightwave.example").get(full["id"]).raw
    assert values["Subject"] == str(parse(raw)["Subject"])  # RFC 2047 decoded by the API
    threads = emulator.control.get(
        api + "/threads", params={"maxResults": 500}, headers=headers
    ).json()
    assert len(threads["threads"]) == len(
        {m.thread_id for m in emulator.state.mailbox("carla@brightwave.example").messages.values()
         if not {"SPAM", "TRASH"} & set(m.label_ids)}
    )  # fmt: skip
