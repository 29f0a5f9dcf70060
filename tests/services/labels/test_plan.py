"""The label planner's rules, without Gmail: exactly one category label, moves never return to
the inbox, only newly labelled inbox mail is archived, batchModify groups of at most 1000 ids
sharing one (add, remove) pair; search strings and lookalike addresses."""

from __future__ import annotations

import datetime as dt

from gpanel.crm.categories import Category
from gpanel.services.labels.plan import (
    Facts,
    InboxMode,
    from_queries,
    lookalikes,
    plan_changes,
    sender_address,
)

CTM, OPEN, CUST = Category.CLOSING_THIS_MONTH, Category.OPEN_DEALS, Category.CUSTOMERS
IDS = {CTM: "L1", OPEN: "L2", CUST: "L3"}


def test_new_label_archives_a_move_does_not_return_to_the_inbox() -> None:
    """A newly labelled inbox message leaves the inbox and is recorded; a moved message gets
    the new label and loses the old one, and INBOX is never added back."""
    plan = plan_changes(
        {
            "a": Facts(CTM, frozenset(), True),
            "b": Facts(CTM, frozenset(), False),
            "c": Facts(OPEN, frozenset({CTM}), False),
            "d": Facts(None, frozenset({CUST}), False),
            "e": Facts(
                CUST, frozenset({CUST}), True
            ),  # already right: the user's inbox choice stays
        },
        IDS,
    )
    changes = {(c.add, c.remove): c.ids for c in plan.changes}
    assert changes == {
        (("L1",), ("INBOX",)): ("a",),
        (("L1",), ()): ("b",),
        (("L2",), ("L1",)): ("c",),
        ((), ("L3",)): ("d",),
    }
    assert plan.archive == ["a"]
    assert all("INBOX" not in c.add for c in plan.changes)


def test_batches_hold_at_most_1000_ids() -> None:
    """2,500 messages needing the same change are three batchModify calls."""
    facts = {f"m{n:05d}": Facts(OPEN, frozenset(), False) for n in range(2500)}
    plan = plan_changes(facts, IDS)
    assert [len(c.ids) for c in plan.changes] == [1000, 1000, 500]
    assert plan.messages == 2500 and plan.arriving(OPEN) == 2500


def test_queries_are_chunked_and_dated() -> None:
    """Every searchable address appears once, queries stay under the length cap, and unsafe
    values are left out."""
    addresses = [f"person{n}@company{n}.example" for n in range(200)] + ['bad"quote@x.example']
    after = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    queries = from_queries(addresses, after)
    assert len(queries) > 1 and all(len(q) <= 1500 for q in queries)
    assert all(
        q.startswith("from:(") and q.endswith(f" after:{int(after.timestamp())}") for q in queries
    )
    joined = " ".join(queries)
    assert all(joined.count(f"{a} ") + joined.count(f"{a})") == 1 for a in addresses[:-1])
    assert "bad" not in joined


def test_lookalikes_and_senders() -> None:
    """An address inside another known address is a lookalike; From headers are read with
    display names and case."""
    assert lookalikes(
        {"ann@x.example", "joann@x.example", "bob@y.example", "bob@y.example.au"}
    ) == {"ann@x.example", "bob@y.example"}
    assert sender_address('"Ann, Sales" <ANN@X.example>', fold=False) == "ann@x.example"
    assert sender_address("j.o.e+tag@gmail.com", fold=True) == "joe@gmail.com"
    assert sender_address("undisclosed", fold=False) is None


def test_inbox_modes_decide_who_leaves_the_inbox() -> None:
    """At once: every newly labelled inbox message leaves. Once read: only read ones, and a
    labelled one seen being read; an unread one stays. Never: none. A message gpanel archived
    that lost its category comes back in every mode."""
    facts = {
        "read": Facts(CTM, frozenset(), True),
        "unread": Facts(CTM, frozenset(), True, unread=True),
        "now_read": Facts(CTM, frozenset({CTM}), True),
        "kept": Facts(CTM, frozenset({CTM}), True),  # read long ago, the user's inbox choice
        "lost": Facts(None, frozenset({OPEN}), False),
    }
    leaving = {
        InboxMode.AT_ONCE: ["read", "unread"],
        InboxMode.ONCE_READ: ["now_read", "read"],
        InboxMode.NEVER: [],
    }
    for mode, expected in leaving.items():
        plan = plan_changes(facts, IDS, archived={"lost"}, mode=mode, just_read={"now_read"})
        assert plan.archive == expected, mode
        assert plan.restore == ["lost"], mode
    assert InboxMode.parse("never") is InboxMode.NEVER
    assert InboxMode.parse("sometimes") is InboxMode.AT_ONCE
