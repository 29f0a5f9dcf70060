"""Gmail search strings for record mail: syntax, escaping, splitting."""

from __future__ import annotations

from datetime import UTC, datetime

from gpanel.gmail.query import participants_query, searchable_address, searchable_domain


def test_one_address_matches_it_in_every_header():
    """An address is searched as sender and every kind of recipient, in one any-of group."""
    assert participants_query(["Alice@Example.com "]) == [
        "{from:alice@example.com to:alice@example.com cc:alice@example.com bcc:alice@example.com}"
    ]


def test_domains_and_after_clause():
    """Domains are written @domain; after: takes epoch seconds; values are sorted."""
    after = datetime(2026, 1, 1, tzinfo=UTC)
    (q,) = participants_query(["bob@b.org"], ["acme.com"], after=after)
    assert q.startswith("{from:@acme.com to:@acme.com cc:@acme.com bcc:@acme.com from:bob@b.org")
    assert q.endswith("} after:1767225600")


def test_addresses_inside_a_listed_domain_are_not_repeated():
    """An address at a listed domain is already covered by the domain terms."""
    (q,) = participants_query(["x@acme.com"], ["ACME.com"])
    assert "x@acme.com" not in q and "@acme.com" in q


def test_unsafe_values_are_left_out():
    """Quotes, spaces, braces, parentheses and colons cannot change the query's meaning."""
    hostile = ['a"b@x.com', "a b@x.com", "a}@x.com", "a@x.com) OR (in:anywhere", "from:a@x.com"]
    assert participants_query(hostile, ["evil.com OR x", "{a}.com"]) == []
    assert searchable_address("o'brien+crm@x.co.uk") == "o'brien+crm@x.co.uk"
    assert searchable_domain("@Sub.Example.COM") == "sub.example.com"


def test_long_lists_split_into_queries_under_the_limit():
    """Many addresses become several queries, each under max_length, covering all of them."""
    emails = [f"person{i:03d}@example{i % 7}.com" for i in range(200)]
    queries = participants_query(emails, after=1700000000, max_length=600)
    assert len(queries) > 1
    assert all(len(q) <= 600 for q in queries)
    assert all(q.startswith("{") and q.endswith("} after:1700000000") for q in queries)
    joined = " ".join(queries)
    assert all(f"from:{e}" in joined for e in emails)
    assert sum(q.count("from:") for q in queries) == 200


def test_nothing_searchable_gives_no_query():
    """No addresses: no query (the caller must not search the whole mailbox)."""
    assert participants_query([], []) == []
