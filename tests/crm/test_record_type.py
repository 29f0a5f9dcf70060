"""`RecordType` owns the spelling of record kinds: the singular is its value (what the
`unlinks` table stores), the plural is the URL segment and the API collection, and a URL
segment in either spelling parses into it while anything else is refused."""

from __future__ import annotations

import pytest

from gpanel.crm.models import Directory, RecordType


def test_singular_plural_and_heading() -> None:
    """Each kind's plural and list heading, companies included."""
    assert [(k.value, k.plural, k.heading) for k in RecordType] == [
        ("contact", "contacts", "Contacts"),
        ("company", "companies", "Companies"),
        ("deal", "deals", "Deals"),
    ]
    assert [(k.value, k.plural) for k in Directory] == [("user", "users"), ("team", "teams")]


@pytest.mark.parametrize("segment", ["contact", "contacts", "company", "companies", "deal"])
def test_a_url_segment_parses_in_either_spelling(segment: str) -> None:
    """`deal` and `deals` name the same record type."""
    kind = RecordType.parse(segment)
    assert segment in (kind.value, kind.plural)


@pytest.mark.parametrize("segment", ["ticket", "", "Contacts", "companie", "users", "contact "])
def test_anything_else_is_refused(segment: str) -> None:
    """Unknown words, another case, half a plural and the people kinds are not record types."""
    with pytest.raises(ValueError):
        RecordType.parse(segment)
