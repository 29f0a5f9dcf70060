"""Gmail's `q` language: tokenizer, recursive-descent parser, and evaluation on messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from gpanel.emulator.mime.summary import Summary, summarize
from gpanel.emulator.search import And, Matcher, Not, Or, Term, parse, tokenize

NOW_MS = int(dt.datetime(2026, 6, 15, tzinfo=dt.UTC).timestamp() * 1000)
DAY_MS = 86_400_000


@dataclass
class Msg:
    raw: bytes
    label_ids: list[str] = field(default_factory=lambda: ["INBOX", "UNREAD"])
    internal_date_ms: int = NOW_MS - DAY_MS

    @property
    def summary(self) -> Summary:
        return summarize(self.raw)


def mail(
    subject: str = "Quote for Q3",
    sender: str = "Bob <bob@globex.example>",
    to: str = "ann@acme.example",
    cc: str = "",
    body: str = "Please find the pricing attached.",
    attachment: bool = False,
) -> bytes:
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
    if cc:
        head += f"Cc: {cc}\r\n"
    if not attachment:
        return (head + "\r\n" + body + "\r\n").encode()
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain\r\n\r\n" + body + "\r\n--b\r\n"
        'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="q.pdf"\r\n'
        "\r\nPDF\r\n--b--\r\n"
    ).encode()


LABELS = {"customers": "Label_1", "gpanel/deals": "Label_2"}


def matches(query: str, message: Msg) -> bool:
    return Matcher(query, lambda name: LABELS.get(name.lower()), now_ms=NOW_MS)(message)


def test_tokenizer_recognises_operators_phrases_groups_and_negation() -> None:
    """Operators keep their name; quotes make phrases; '-' negates only when attached."""
    kinds = [(t.kind, t.field, t.text) for t in tokenize('from:bob -"big deal" (a OR b) {c d} x-y')]
    assert kinds == [
        ("op", "from", "bob"),
        ("-", "", ""),
        ("phrase", "", "big deal"),
        ("(", "", ""),
        ("word", "", "a"),
        ("or", "", ""),
        ("word", "", "b"),
        (")", "", ""),
        ("{", "", ""),
        ("word", "", "c"),
        ("word", "", "d"),
        ("}", "", ""),
        ("word", "", "x-y"),
    ]


def test_parser_builds_and_or_not_tree() -> None:
    """Juxtaposition is AND, OR binds tighter, '-' negates, braces mean any-of."""
    assert parse("a b OR c -d {e f}") == And(
        (
            Term(None, "a"),
            Or((Term(None, "b"), Term(None, "c"))),
            Not(Term(None, "d")),
            Or((Term(None, "e"), Term(None, "f"))),
        )
    )


def test_operator_applies_to_a_group() -> None:
    """`from:(a OR b)` and `subject:{x y}` apply the operator to each word inside."""
    assert parse("from:(alice OR bob)") == Or((Term("from", "alice"), Term("from", "bob")))
    assert parse('subject:"big deal"') == Term("subject", "big deal")
    assert parse("subject:{x y}") == Or((Term("subject", "x"), Term("subject", "y")))


def test_parser_tolerates_stray_brackets_and_trailing_operators() -> None:
    """Unbalanced input never raises."""
    for query in ["(", ")", "a OR", "{", "-", "from:", '"open', "a ) b", "OR OR"]:
        parse(query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from:bob", True),
        ("from:globex.example", True),  # a domain matches as a substring of the address
        ("from:carol", False),
        ("to:ann@acme.example", True),
        ("cc:dan", True),
        ("bcc:dan", False),
        ("subject:quote", True),
        ("subject:pricing", False),
        ("pricing", True),  # bare words search the body
        ("PRICING", True),
        ("pric", False),  # whole words only
        ('"the pricing"', True),
        ('"pricing the"', False),
        ("quote -pricing", False),
        ("quote OR nothing", True),
        ("nothing OR nada", False),
        ("{nothing quote}", True),
        ("(from:carol OR from:bob) subject:q3", True),
        ("in:inbox", True),
        ("in:sent", False),
        ("in:anywhere", True),
        ("is:unread", True),
        ("is:read", False),
        ("is:starred", False),
        ("label:customers", True),
        ("label:gpanel-deals", False),
        ("label:nosuchlabel", False),
        ("has:attachment", False),
        ("after:2026/06/01", True),
        ("after:2026/06/15", False),
        ("before:2026/06/15", True),
        (f"after:{(NOW_MS - 2 * DAY_MS) // 1000}", True),
        (f"before:{(NOW_MS - 2 * DAY_MS) // 1000}", False),
        ("newer_than:2d", True),
        ("newer_than:1d", False),
        ("older_than:1y", False),
        ("bogus:word", False),  # unknown operators are searched as words
    ],
)
def test_operators_on_one_message(query: str, expected: bool) -> None:
    """Each operator of docs/gmail-facts.md ("Reading and search"), on one inbox message with a
    user label."""
    message = Msg(mail(cc="Dan <dan@acme.example>"), ["INBOX", "UNREAD", "Label_1"])
    assert matches(query, message) is expected


def test_attachment_and_nested_label() -> None:
    """has:attachment sees attachment parts; label:a-b finds the nested label a/b."""
    message = Msg(mail(attachment=True), ["INBOX", "Label_2"])
    assert matches("has:attachment", message)
    assert matches("label:gpanel-deals", message)
    assert matches("filename:q.pdf", message)


def test_spam_and_trash_mentions() -> None:
    """Queries naming spam, trash or anywhere make lists include those messages."""
    assert Matcher("in:trash", lambda _: None).mentions_spam_trash
    assert Matcher("from:x in:anywhere", lambda _: None).mentions_spam_trash
    assert not Matcher("from:x -in:spam", lambda _: None).mentions_spam_trash
