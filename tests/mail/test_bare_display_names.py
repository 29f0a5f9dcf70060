"""An unquoted display name that spells an address is a name, not a second mailbox.

`email.utils.getaddresses` reads `ann@acme.example <z@evil.example>` as two mailboxes; mail
clients and Gmail show `z@evil.example` as the sender. gpanel quotes such names first, so a
sender cannot pose as a contact (docs/gmail-facts.md, "Reading and search").
"""

from __future__ import annotations

from gpanel.mail.headers import parse_addresses, quote_bare_display_names


def test_a_bare_name_with_an_at_sign_is_quoted() -> None:
    """Only the mailbox in angle brackets is an address; other forms are untouched."""
    parsed = parse_addresses("ann@acme.example <z@evil.example>, Bob <b@x.example>, c@y.example")
    assert [(a.name, a.email) for a in parsed.addresses] == [
        ("ann@acme.example", "z@evil.example"),
        ("Bob", "b@x.example"),
        ("", "c@y.example"),
    ]
    for same in ('"a@b.example" <z@e.example>', "A B <a@b.example>", "plain@x.example"):
        assert quote_bare_display_names(same) == same
