"""The admin page's dropdowns speak plainly: sharing options, roles and the "no limit" choice
show words ("Everyone who can open the record"), never stored identifiers (`record_access`),
while the values sent back stay the identifiers the rules store. Over real HTTP."""

from __future__ import annotations

import re

from tests.support.stack import Stack, seen

ADMIN = "alice@brightwave.example"
RAW = ("private", "selected", "record_access", "metadata", "subject", "full", "admin", "rep")


def test_admin_dropdowns_show_words_not_identifiers(stack: Stack) -> None:
    """Every <option>'s visible text is words; its value is the identifier."""
    admin = stack.sign_in(ADMIN)
    page = seen(admin.get("/admin"))
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", page)
    texts = {text.strip() for _, text in options}
    assert not texts & set(RAW), texts & set(RAW)
    assert {
        "Everyone who can open the record",
        "People and teams the owner picks",
        "Only the owner",
        "Full messages",
        "Subjects, participants and times",
        "Participants and times only",
        "Manager",
    } <= texts
    assert 'value="record_access"' in page and 'value="manager"' in page
    assert "(no limit)" not in page and "Any audience" in page
