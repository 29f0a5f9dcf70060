"""The sharing table says what the code does: the table in docs/behaviour.md ("Sharing"), the one
the sharing page renders (`policy.shown_table`) and `policy.shown_fields` agree cell by cell,
and the owner sees every field at every level.
"""

from __future__ import annotations

from pathlib import Path

from gpanel.services.sharing.policy import Detail, shown_fields, shown_table

DOCS = Path(__file__).resolve().parents[3] / "docs" / "behaviour.md"


def _docs_table() -> list[list[str]]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Sharing", 1)[1]
    lines = [ln for ln in section.splitlines() if ln.startswith("| ")]
    header, rows = lines[0], lines[2:]  # the header row, then after the --- row
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "field",
        "Full",
        "Subject",
        "Metadata",
    ]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows[:4]]


def test_docs_page_and_code_say_the_same() -> None:
    """Each cell of the docs' table equals the sharing page's table, which comes from the
    function every path redacts with."""
    docs = _docs_table()
    page = shown_table()
    assert len(docs) == len(page) == 4
    for doc_row, (name, cells) in zip(docs, page, strict=True):
        assert doc_row[1:] == [cells["full"], cells["subject"], cells["metadata"]], name


def test_the_owner_sees_everything_at_every_level() -> None:
    for detail in Detail:
        shown = shown_fields(detail, is_owner=True)
        assert shown.subject and shown.content and shown.owner_state
    assert not shown_fields(Detail.FULL, is_owner=False).owner_state
    assert shown_fields(Detail.SUBJECT, is_owner=False).subject
    assert not shown_fields(Detail.SUBJECT, is_owner=False).content
    assert not shown_fields(Detail.METADATA, is_owner=False).subject
