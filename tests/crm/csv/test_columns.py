"""docs/csv-import.md lists every canonical column and alias the importer accepts, and the
header matching handles the spellings common CRM exports use."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpanel.crm.csv.columns import columns_for, map_headers

DOC = Path(__file__).resolve().parents[3] / "docs" / "csv-import.md"


@pytest.mark.parametrize("kind", ["companies", "contacts", "deals"])
def test_doc_lists_every_column_and_alias(kind: str) -> None:
    """Each canonical column and each alias appears in the documentation table."""
    text = DOC.read_text()
    for canonical, aliases in columns_for(kind).items():
        assert f"`{canonical}`" in text
        for alias in aliases:
            assert f"`{alias}`" in text, alias


def test_headers_from_real_exports() -> None:
    """Salesforce, HubSpot, Zoho and Pipedrive headers map to our columns."""
    mapping, unknown = map_headers(
        "deals",
        ["Opportunity Name", "Account Name", "Stage", "Amount", "Close Date", "Opportunity Owner"],
    )
    assert set(mapping) == {"name", "company", "stage", "amount", "closing_date", "owner"}
    assert unknown == []
    mapping, _ = map_headers(
        "deals",
        [
            "Deal - Title",
            "Deal - Value",
            "Deal - Stage",
            "Organization - Name",
            "Person - Email",
            "Deal - Expected close date",
        ],
    )
    assert set(mapping) == {"name", "amount", "stage", "company", "contact_email", "closing_date"}
    mapping, _ = map_headers("contacts", ["E-Mail", "FIRST_NAME", "last-name", "Lead Owner"])
    assert set(mapping) == {"email", "first_name", "last_name", "owner"}
