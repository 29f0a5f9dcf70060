"""Display headers from Gmail's header list: decoded, parsed, bounded, never raising."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from gpanel.mail.headers import (
    MAX_ADDRESSES,
    decode_words,
    parse_addresses,
    parse_date,
    read_headers,
)


def _msg(*headers: tuple[str, str], **extra: object) -> dict[str, object]:
    return {"payload": {"headers": [{"name": n, "value": v} for n, v in headers]}, **extra}


def test_encoded_words_decode_in_any_charset() -> None:
    """RFC 2047 words decode, adjacent words join, unknown charsets do not raise."""
    assert decode_words("=?utf-8?q?J=C3=B6rg?= =?utf-8?b?TcO8bGxlcg==?=") == "JörgMüller"
    assert decode_words("=?ks_c_5601-1987?B?x9Gx2w==?=") == "한글"
    assert decode_words("=?x-unknown?q?caf=C3=A9?=") == "café"
    assert decode_words("=?bogus?b?!!!?=") == ""
    # A multi-byte character split across two words is joined before decoding.
    assert decode_words("=?utf-8?b?4oKs?= =?utf-8?q?=E2=82?= =?utf-8?q?=AC?=") == "€€"


def test_group_syntax_and_garbage_fall_back_to_raw_text() -> None:
    """Group syntax with no members and unparsable text show as written, as one name."""
    result = parse_addresses("unlisted-recipients:; (no To-header on input)")
    assert len(result.addresses) == 1 and result.addresses[0].email == ""
    assert "unlisted-recipients" in result.addresses[0].name
    assert parse_addresses("<<<>>>").addresses[0].email == ""
    group = parse_addresses('Team: a@b.example, "Bob, Jr" <bob@c.example>;')
    assert group.emails == ("a@b.example", "bob@c.example")
    assert group.addresses[1].name == "Bob, Jr"


def test_encoded_display_names_and_hostile_characters() -> None:
    """Names decode; CR/LF and bidi overrides never reach the display text."""
    (address,) = parse_addresses("=?utf-8?q?Ren=C3=A9e?= <renee@example.com>").addresses
    assert address.name == "Renée" and address.email == "renee@example.com"
    (spoof,) = parse_addresses('"evil\u202egpj.exe\r\n" <x@example.com>').addresses
    assert "\u202e" not in spoof.name and "\n" not in spoof.name


def test_huge_address_headers_are_bounded_in_size_and_time() -> None:
    """16,000 addresses (the 8-second case) parse quickly, capped and flagged truncated."""
    header = ", ".join(f"User {i} <user{i}@example.com>" for i in range(16_000))
    started = time.process_time()  # CPU, not wall: a loaded machine must not fail it
    result = parse_addresses(header)
    assert time.process_time() - started < 1.0
    assert len(result.addresses) == MAX_ADDRESSES and result.truncated
    assert result.addresses[0].email == "user0@example.com"


def test_dates_parse_to_aware_datetimes_or_none() -> None:
    """Good dates are aware; zone-less ones are UTC; garbage is None."""
    assert parse_date("Tue, 11 Sep 2001 00:05:05 -0400") == datetime(
        2001, 9, 11, 4, 5, 5, tzinfo=UTC
    )
    naive = parse_date("Tue, 11 Sep 2001 00:05:05")
    assert naive is not None and naive.tzinfo is not None
    for bad in ("", "yesterday", "Mon, 99 Foo 99999 99:99:99 +9999", "x" * 1000):
        assert parse_date(bad) is None


def test_read_headers_for_a_metadata_message() -> None:
    """A panel row: ids, labels, internal date, snippet unescaped, headers parsed."""
    summary = read_headers(
        _msg(
            ("From", "Ann <ann@example.com>"),
            ("To", "bob@example.com"),
            ("To", "carol@example.com"),
            ("Subject", "=?utf-8?q?Caf=C3=A9?="),
            ("Date", "Wed, 1 Jan 2025 10:00:00 +0000"),
            ("Message-ID", " <abc@example.com> "),
            ("References", "<a@x> <b@x>\r\n <c@x>"),
            id="m1",
            threadId="t1",
            labelIds=["INBOX", 7],
            internalDate="1700000000000",
            snippet="it&#39;s &lt;b&gt;",
        )
    )
    assert (summary.id, summary.thread_id, summary.label_ids) == ("m1", "t1", ("INBOX",))
    assert summary.internal_date == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert summary.snippet == "it's <b>"
    headers = summary.headers
    assert headers.from_.emails == ("ann@example.com",)
    assert headers.to.emails == ("bob@example.com", "carol@example.com")
    assert headers.subject == "Café" and headers.message_id == "<abc@example.com>"
    assert headers.references == ("<a@x>", "<b@x>", "<c@x>")


def test_read_headers_survives_any_shape() -> None:
    """Wrong types anywhere give empty values, not exceptions."""
    for junk in (
        {},
        {"payload": None},
        {"payload": {"headers": "x"}},
        {"payload": {"headers": [None, 1, {"name": 2}, {"name": "From", "value": None}]}},
        {"internalDate": "1e400", "labelIds": "INBOX"},
    ):
        summary = read_headers(junk)
        assert summary.headers.subject == "" and summary.internal_date is None
