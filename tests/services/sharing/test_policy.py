"""The sharing policy: who sees whose thread on a record, at what detail.

Concrete cases are written out by hand (the oracle is this table, not the code); the whole
role x audience x detail x record access x private-thread matrix is then checked against
invariants that must hold everywhere.
"""

from __future__ import annotations

import itertools

import pytest

from gpanel.services.sharing.policy import (
    AdminPolicy,
    Audience,
    Detail,
    Feature,
    Person,
    Role,
    Rule,
    RuleMode,
    Sharing,
    allowed_audiences,
    can_open_record,
    effective_sharing,
    feature_allowed,
    resolve_policy,
    thread_detail,
    validate_choice,
)

EAST, WEST = 1, 2
owner = Person(10, Role.REP, frozenset({EAST}))
teammate = Person(11, Role.REP, frozenset({EAST}))
picked = Person(12, Role.REP, frozenset({WEST}))
west_rep = Person(13, Role.REP, frozenset({WEST}))
outsider = Person(14, Role.REP, frozenset())
admin = Person(1, Role.ADMIN, frozenset())
manager_east = Person(2, Role.MANAGER, frozenset({EAST}))

A, D = Audience, Detail
CASES = [
    # (viewer, sharing, record_access, private, expected)
    (owner, Sharing(A.PRIVATE, D.METADATA), True, True, D.FULL),  # owner: always full
    (owner, Sharing(A.PRIVATE), False, False, None),  # ...but only on records they can open
    (teammate, Sharing(A.PRIVATE), True, False, None),
    (teammate, Sharing(A.RECORD_ACCESS, D.SUBJECT), True, False, D.SUBJECT),
    (teammate, Sharing(A.RECORD_ACCESS, D.FULL), True, True, None),  # private thread
    (teammate, Sharing(A.RECORD_ACCESS, D.FULL), False, False, None),  # no record access
    (picked, Sharing(A.SELECTED, D.FULL, users=frozenset({12})), True, False, D.FULL),
    (west_rep, Sharing(A.SELECTED, D.FULL, users=frozenset({12})), True, False, None),
    (west_rep, Sharing(A.SELECTED, D.METADATA, teams=frozenset({WEST})), True, False, D.METADATA),
    (admin, Sharing(A.PRIVATE), True, False, None),  # admins do not read private mail
    (admin, Sharing(A.RECORD_ACCESS, D.FULL), True, False, D.FULL),
    (manager_east, Sharing(A.SELECTED, D.FULL, teams=frozenset({WEST})), True, False, None),
]


@pytest.mark.parametrize(("viewer", "sharing", "access", "private", "expected"), CASES)
def test_concrete_cases(
    viewer: Person, sharing: Sharing, access: bool, private: bool, expected: Detail | None
) -> None:
    """Each hand-written case gives exactly the expected detail (or nothing)."""
    got = thread_detail(viewer, owner, sharing, record_access=access, thread_private=private)
    assert got == expected


RANK = {None: -1, D.METADATA: 0, D.SUBJECT: 1, D.FULL: 2}
AUD_RANK = {A.PRIVATE: 0, A.SELECTED: 1, A.RECORD_ACCESS: 2}
VIEWERS = [owner, teammate, picked, west_rep, outsider, admin, manager_east]
SHARINGS = [
    Sharing(a, d, users=frozenset(u), teams=frozenset(t))
    for a, d, u, t in itertools.product(A, D, [(), (12,)], [(), (WEST,)])
]


def test_matrix_invariants() -> None:
    """Over every combination: no access -> nothing; owner -> full; private thread -> owner
    only; nobody else ever sees more than the owner's detail; widening the audience never
    hides a thread that a narrower audience showed."""
    checked = 0
    for viewer, sharing, access, private in itertools.product(
        VIEWERS, SHARINGS, [True, False], [True, False]
    ):
        got = thread_detail(viewer, owner, sharing, record_access=access, thread_private=private)
        checked += 1
        if not access:
            assert got is None
        elif viewer == owner:
            assert got is D.FULL
        elif private or sharing.audience is A.PRIVATE:
            assert got is None
        else:
            assert RANK[got] <= RANK[sharing.detail]
            wider = Sharing(A.RECORD_ACCESS, sharing.detail, sharing.users, sharing.teams)
            assert RANK[thread_detail(viewer, owner, wider, record_access=True)] >= RANK[got]
    assert checked == len(VIEWERS) * len(SHARINGS) * 4


@pytest.mark.parametrize(
    "role_rule", [None, Rule(RuleMode.CHOICE, "selected"), Rule(RuleMode.FORCED, "record_access")]
)
@pytest.mark.parametrize(
    "user_rule",
    [None, Rule(RuleMode.CHOICE, "private"), Rule(RuleMode.FORCED, "selected", locked=True)],
)
@pytest.mark.parametrize("choice", list(A))
def test_admin_rules_bound_the_choice(
    role_rule: Rule | None, user_rule: Rule | None, choice: Audience
) -> None:
    """A per-user rule replaces the per-role rule; FORCED sets the value; CHOICE caps it."""
    policy = resolve_policy(
        AdminPolicy(audience=role_rule) if role_rule else None,
        AdminPolicy(audience=user_rule) if user_rule else None,
    )
    rule = user_rule or role_rule or Rule()
    got = effective_sharing(Sharing(choice), policy).audience
    if rule.mode is RuleMode.FORCED:
        assert got == Audience(rule.value)
    elif rule.value is None:
        assert got == choice
    else:
        assert AUD_RANK[got] == min(AUD_RANK[choice], AUD_RANK[Audience(rule.value)])
    assert got in allowed_audiences(rule)


def test_locked_field_refuses_a_change_and_forced_detail_applies() -> None:
    policy = AdminPolicy(
        audience=Rule(RuleMode.CHOICE, None, locked=True), detail=Rule(RuleMode.FORCED, "metadata")
    )
    current = effective_sharing(Sharing(A.SELECTED), policy)
    assert current.detail is D.METADATA
    assert validate_choice(Sharing(A.RECORD_ACCESS, D.METADATA), policy, current)
    assert validate_choice(Sharing(A.SELECTED, D.FULL), policy, current)
    assert validate_choice(Sharing(A.SELECTED, D.METADATA), policy, current) == []


def test_over_the_maximum_is_refused_with_the_maximum_named() -> None:
    policy = AdminPolicy(detail=Rule(RuleMode.CHOICE, "subject"))
    problems = validate_choice(Sharing(A.PRIVATE, D.FULL), policy, Sharing())
    assert problems and "subject" in problems[0]


def test_record_access() -> None:
    """Admins open all; others their own, their teams', and unowned records."""
    assert can_open_record(admin, 99, [WEST])
    assert can_open_record(outsider, 14, [])
    assert can_open_record(teammate, 10, [EAST])
    assert not can_open_record(west_rep, 10, [EAST])
    assert can_open_record(outsider, None, [])


def test_feature_permissions() -> None:
    """User rules beat role rules beat defaults; labels need MailMagnet."""
    assert feature_allowed(Feature.CONNECT_GMAIL, {}, {})
    assert not feature_allowed(Feature.LABELS, {}, {})
    assert feature_allowed(Feature.LABELS, {Feature.LABELS: True}, {})
    assert not feature_allowed(Feature.LABELS, {Feature.LABELS: True}, {Feature.MAILMAGNET: False})
    assert not feature_allowed(
        Feature.CONNECT_GMAIL, {Feature.CONNECT_GMAIL: True}, {Feature.CONNECT_GMAIL: False}
    )
