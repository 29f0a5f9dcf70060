"""The panel's pure parts: rule order and inputs of `panel_rules.evaluate`, block patterns,
dedup preferences and page tokens of `services.panel` (no database, no Gmail)."""

from __future__ import annotations

from typing import Any

import pytest

from gpanel.services.panel.rules import (
    MailboxOwner,
    Reason,
    RecordMatch,
    RuleInputs,
    ThreadMeta,
    block_matches,
    evaluate,
    normalise_pattern,
    thread_meta,
)
from gpanel.services.panel.view import (
    BadPageToken,
    Candidate,
    decode_page,
    deduplicate,
    encode_page,
)
from gpanel.services.sharing.policy import Audience, Detail, Person, Role, Sharing

VIEWER = Person(1, Role.REP)
OWNER = Person(2, Role.REP)
SHARED = MailboxOwner(20, OWNER, "Owner", Sharing(Audience.RECORD_ACCESS, Detail.SUBJECT))
MINE = MailboxOwner(10, VIEWER, "Me", Sharing())


def raw_thread(tid: str, *messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": tid,
        "historyId": "9",
        "messages": [
            {
                "id": f"{tid}-{n}",
                "threadId": tid,
                "labelIds": m.get("labels", ["INBOX"]),
                "internalDate": str(1_700_000_000_000 + n),
                "snippet": "snip",
                "payload": {"headers": [{"name": k, "value": v} for k, v in m["headers"].items()]},
            }
            for n, m in enumerate(messages)
        ],
    }


def meta(
    mailbox: int,
    tid: str,
    frm: str,
    to: str,
    *,
    cc: str = "",
    labels: tuple[str, ...] = ("INBOX",),
    rfc: str = "<a@x>",
) -> ThreadMeta:
    headers = {"From": frm, "To": to, "Subject": "S", "Message-ID": rfc}
    if cc:
        headers["Cc"] = cc
    return thread_meta(mailbox, raw_thread(tid, {"headers": headers, "labels": list(labels)}))


def inputs(**kw: Any) -> RuleInputs:
    base: dict[str, Any] = dict(
        viewer=VIEWER,
        record=RecordMatch.of(["pat@acme.example"], ["acme.example"], False),
        own_domains=frozenset({"us.example"}),
        group_max=3,
    )
    base.update(kw)
    return RuleInputs(**base)


def test_rules_in_order_with_reason_codes() -> None:
    """Each rule hides with its own reason, in the order of docs/behaviour.md, "Record-context
    mail"."""
    ok = meta(20, "t1", "Pat <pat@acme.example>", "me@us.example")
    assert evaluate(ok, SHARED, inputs()).detail is Detail.SUBJECT
    spam = meta(20, "t2", "pat@acme.example", "me@us.example", labels=("SPAM",))
    assert evaluate(spam, SHARED, inputs()).reason is Reason.SPAM_TRASH
    # Gmail's word match would return these; the re-check does not accept them.
    for fake in ("xpat@acme.example", "pat@acme.example.evil.example", "pat@notacme.example"):
        assert (
            evaluate(
                meta(20, "t3", fake, "me@us.example"),
                SHARED,
                RuleInputs(
                    viewer=VIEWER,
                    record=RecordMatch.of(["pat@acme.example"], [], False),
                    own_domains=frozenset(),
                    group_max=3,
                ),
            ).reason
            is Reason.NOT_PARTICIPANT
        )
    # A subdomain of a record domain is the company's.
    assert evaluate(meta(20, "t4", "x@eu.acme.example", "me@us.example"), SHARED, inputs()).shown
    blocked = inputs(org_blocks=("@us.example",))
    assert evaluate(ok, SHARED, blocked).reason is Reason.BLOCKED
    assert evaluate(ok, SHARED, blocked).pattern == "@us.example"
    crowd = meta(
        20, "t5", "pat@acme.example", "a@x.example, b@x.example, c@x.example", cc="d@x.example"
    )
    assert evaluate(crowd, SHARED, inputs()).reason is Reason.GROUP
    unlinked = inputs(unlinked=frozenset({(20, "t1")}))
    assert evaluate(ok, SHARED, unlinked).reason is Reason.UNLINKED
    private = inputs(private=frozenset({(20, "t1")}))
    assert evaluate(ok, SHARED, private).reason is Reason.PRIVATE
    mine = meta(10, "t1", "pat@acme.example", "me@us.example")
    assert evaluate(mine, MINE, inputs(private=frozenset({(10, "t1")}))).detail is Detail.FULL
    nobody = MailboxOwner(20, OWNER, "Owner", Sharing(Audience.PRIVATE))
    assert evaluate(ok, nobody, inputs()).reason is Reason.NOT_SHARED


def test_internal_only_mail_is_the_owners_alone() -> None:
    internal = meta(20, "t", "a@us.example", "b@us.example")
    rules = inputs(record=RecordMatch.of([], ["us.example"], False))
    assert evaluate(internal, SHARED, rules).reason is Reason.INTERNAL
    assert evaluate(meta(10, "t", "a@us.example", "b@us.example"), MINE, rules).shown


def test_whose_block_rules_apply() -> None:
    """Org-wide and the viewer's own rules always; the owner's own rules for the owner's mail."""
    ok = meta(20, "t1", "pat@acme.example", "me@us.example")
    assert (
        evaluate(ok, SHARED, inputs(user_blocks={2: ("pat@acme.example",)})).reason
        is Reason.BLOCKED
    )
    assert (
        evaluate(ok, SHARED, inputs(user_blocks={1: ("@acme.example",)})).reason is Reason.BLOCKED
    )
    assert evaluate(ok, SHARED, inputs(user_blocks={3: ("@acme.example",)})).shown


def test_block_patterns() -> None:
    assert normalise_pattern(" Acme.Example ") == "@acme.example"
    assert normalise_pattern("Pat@Acme.example") == "pat@acme.example"
    assert normalise_pattern("not a pattern") is None and normalise_pattern("@nodot") is None
    assert block_matches("@acme.example", "x@mail.acme.example")
    assert not block_matches("@acme.example", "x@acme.example.org")


def test_dedup_prefers_own_copy_then_richer_detail_and_hides_unlinked_copies() -> None:
    a = meta(10, "a", "pat@acme.example", "me@us.example", rfc="<same@x>")
    b = meta(20, "b", "pat@acme.example", "me@us.example", rfc="<same@x>")
    rules = inputs()
    both: list[Candidate] = [
        (MINE, a, evaluate(a, MINE, rules), {}),
        (SHARED, b, evaluate(b, SHARED, rules), {}),
    ]
    (kept,) = deduplicate(both, VIEWER.user_id)
    assert kept[1].thread_id == "a"
    full = MailboxOwner(30, Person(3, Role.REP), "Full", Sharing(Audience.RECORD_ACCESS))
    c = meta(30, "c", "pat@acme.example", "me@us.example", rfc="<same@x>")
    others: list[Candidate] = [
        (SHARED, b, evaluate(b, SHARED, rules), {}),
        (full, c, evaluate(c, full, rules), {}),
    ]
    (kept,) = deduplicate(others, VIEWER.user_id)
    assert kept[1].thread_id == "c"
    unlinked = inputs(unlinked=frozenset({(30, "c")}))
    hidden: list[Candidate] = [
        (SHARED, b, evaluate(b, SHARED, unlinked), {}),
        (full, c, evaluate(c, full, unlinked), {}),
    ]
    assert deduplicate(hidden, VIEWER.user_id) == []


def test_page_tokens_round_trip_and_refuse_junk() -> None:
    token = encode_page({10: ("abc", None), 20: (None, None)})
    assert token is not None and decode_page(token) == {10: ("abc", None)}
    assert encode_page({10: (None,)}) is None
    with pytest.raises(BadPageToken):
        decode_page("%%%")
