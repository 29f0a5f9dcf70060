"""Email and domain normalisation: trim + lower always; Gmail dots/+tags folded only on request;
domains taken from URLs and addresses; the demo cast's free-mail list is inside the CRM's."""

from __future__ import annotations

import pytest

from gpanel.crm.emails import is_valid_email, normalise_domain, normalise_email
from gpanel.crm.freemail import FREE_MAIL_DOMAINS
from gpanel.demo import cast


@pytest.mark.parametrize(
    ("given", "fold", "expected"),
    [
        ("  Maria.Schneider@ACME.example ", False, "maria.schneider@acme.example"),
        ("John.Doe+news@Gmail.com", False, "john.doe+news@gmail.com"),
        ("John.Doe+news@Gmail.com", True, "johndoe@gmail.com"),
        ("j.o.h.n@googlemail.com", True, "john@gmail.com"),
        ("john.doe+x@outlook.com", True, "john.doe+x@outlook.com"),
        ("first.last@company.example", True, "first.last@company.example"),
    ],
)
def test_normalise_email(given: str, fold: bool, expected: str) -> None:
    """Addresses compare case-insensitively after trimming; folding touches Gmail only."""
    assert normalise_email(given, fold) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://www.Acme.example/about", "acme.example"),
        ("acme.example", "acme.example"),
        ("WWW.acme.example.", "acme.example"),
        ("sales@acme.example", "acme.example"),
    ],
)
def test_normalise_domain(given: str, expected: str) -> None:
    """Website URLs and addresses reduce to the bare host without www."""
    assert normalise_domain(given) == expected


def test_email_validity() -> None:
    """Obvious junk is refused; ordinary addresses pass."""
    assert is_valid_email("a.b+c@sub.example.com")
    for junk in ("n/a", "maria", "a@b", "a b@c.com", "@acme.example", "x@-bad.com"):
        assert not is_valid_email(junk), junk


def test_cast_free_mail_list_cannot_drift() -> None:
    """The demo cast's free-mail copy (for the emulator) is a subset of the CRM's list."""
    assert cast.FREE_MAIL_DOMAINS <= FREE_MAIL_DOMAINS
