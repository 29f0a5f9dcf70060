"""Who may see whose mail, at what detail: the one policy function every path calls.

Three inputs decide what a viewer sees of a mailbox's thread on a record:

1. **Record access**: may the viewer open the record at all? (`can_open_record`)
2. **The owner's sharing**, as the admin's policy bounds it (`effective_sharing`): an audience
   (Private, Selected users/teams, everyone with Record access) and a detail level (Full,
   Subject, Metadata). An admin rule per role or per user either forces a value or caps the
   user's choice at a maximum, and may lock the field so the user cannot change it.
3. **The thread**: a thread its owner marked private is seen by the owner only.

`thread_detail()` combines them. The owner always sees their own mail in full. Everything
here is pure: the caller loads users, rules and flags from the store and passes them in, so
the whole matrix can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"


class Audience(StrEnum):
    PRIVATE = "private"
    SELECTED = "selected"
    RECORD_ACCESS = "record_access"


class Detail(StrEnum):
    METADATA = "metadata"
    SUBJECT = "subject"
    FULL = "full"


# Wider audiences and richer details rank higher; a maximum caps by rank.
_AUDIENCE_RANK = {Audience.PRIVATE: 0, Audience.SELECTED: 1, Audience.RECORD_ACCESS: 2}
_DETAIL_RANK = {Detail.METADATA: 0, Detail.SUBJECT: 1, Detail.FULL: 2}

AUDIENCE_WORDS = {
    Audience.PRIVATE: "Only you see your mail on records.",
    Audience.SELECTED: "The people and teams you pick see your mail on records they can open.",
    Audience.RECORD_ACCESS: "Everyone who can open a record sees your mail on it.",
}
DETAIL_WORDS = {
    Detail.FULL: "They see subjects and full messages.",
    Detail.SUBJECT: "They see subjects, participants and times, but not the messages.",
    Detail.METADATA: "They see only participants and times: no subject, no message.",
}


class RuleMode(StrEnum):
    CHOICE = "choice"  # the user chooses, up to `value` when set
    FORCED = "forced"  # the admin's `value` applies


@dataclass(frozen=True)
class Rule:
    """An admin's rule for one sharing field (audience or detail) of a role or a user."""

    mode: RuleMode = RuleMode.CHOICE
    value: str | None = None  # forced value, or the maximum for CHOICE (None: no cap)
    locked: bool = False  # the user cannot change their setting

    def __post_init__(self) -> None:
        if self.mode is RuleMode.FORCED and self.value is None:
            raise ValueError("a forced rule needs a value")


@dataclass(frozen=True)
class AdminPolicy:
    audience: Rule = Rule()
    detail: Rule = Rule()


def resolve_policy(role_policy: AdminPolicy | None, user_policy: AdminPolicy | None) -> AdminPolicy:
    """A per-user rule replaces the per-role rule for the same field; absent means free choice."""
    base = role_policy or AdminPolicy()
    if user_policy is None:
        return base
    return AdminPolicy(
        audience=user_policy.audience if user_policy.audience != Rule() else base.audience,
        detail=user_policy.detail if user_policy.detail != Rule() else base.detail,
    )


@dataclass(frozen=True)
class Sharing:
    """A mailbox owner's sharing setting. The default shares nothing."""

    audience: Audience = Audience.PRIVATE
    detail: Detail = Detail.FULL
    users: frozenset[int] = field(default_factory=frozenset)
    teams: frozenset[int] = field(default_factory=frozenset)


def _bounded_audience(chosen: Audience, rule: Rule) -> Audience:
    if rule.mode is RuleMode.FORCED:
        return Audience(str(rule.value))
    if rule.value is not None and _AUDIENCE_RANK[chosen] > _AUDIENCE_RANK[Audience(rule.value)]:
        return Audience(str(rule.value))
    return chosen


def _bounded_detail(chosen: Detail, rule: Rule) -> Detail:
    if rule.mode is RuleMode.FORCED:
        return Detail(str(rule.value))
    if rule.value is not None and _DETAIL_RANK[chosen] > _DETAIL_RANK[Detail(rule.value)]:
        return Detail(str(rule.value))
    return chosen


def effective_sharing(choice: Sharing | None, policy: AdminPolicy) -> Sharing:
    """The sharing that applies: the user's choice, bounded or replaced by the admin's rules."""
    chosen = choice or Sharing()
    return Sharing(
        audience=_bounded_audience(chosen.audience, policy.audience),
        detail=_bounded_detail(chosen.detail, policy.detail),
        users=chosen.users,
        teams=chosen.teams,
    )


def editable(rule: Rule) -> bool:
    """May the user change this field themselves?"""
    return rule.mode is RuleMode.CHOICE and not rule.locked


def allowed_audiences(rule: Rule) -> list[Audience]:
    if rule.mode is RuleMode.FORCED:
        return [Audience(str(rule.value))]
    cap = _AUDIENCE_RANK[Audience(rule.value)] if rule.value else 2
    return [a for a in Audience if _AUDIENCE_RANK[a] <= cap]


def allowed_details(rule: Rule) -> list[Detail]:
    if rule.mode is RuleMode.FORCED:
        return [Detail(str(rule.value))]
    cap = _DETAIL_RANK[Detail(rule.value)] if rule.value else 2
    return [d for d in Detail if _DETAIL_RANK[d] <= cap]


def validate_choice(choice: Sharing, policy: AdminPolicy, current: Sharing) -> list[str]:
    """Reasons a user's requested setting is refused (empty when it is acceptable)."""
    problems = []
    if choice.audience != current.audience and not editable(policy.audience):
        problems.append("Your admin has set who sees your mail; it cannot be changed here.")
    elif choice.audience not in allowed_audiences(policy.audience):
        widest = allowed_audiences(policy.audience)[-1].value
        problems.append(f"Your admin allows at most: {widest}.")
    if choice.detail != current.detail and not editable(policy.detail):
        problems.append("Your admin has set how much others see; it cannot be changed here.")
    elif choice.detail not in allowed_details(policy.detail):
        richest = allowed_details(policy.detail)[-1].value
        problems.append(f"Your admin allows at most: {richest}.")
    return problems


@dataclass(frozen=True)
class Person:
    """A signed-in user as the policy sees them."""

    user_id: int
    role: Role
    team_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user_id: int, role: str, team_ids: Iterable[int] = ()) -> Person:
        return cls(user_id, Role(role), frozenset(team_ids))


def can_open_record(viewer: Person, owner_id: int | None, owner_team_ids: Iterable[int]) -> bool:
    """Record access: admins open everything; others open records they own, records owned by
    someone in one of their teams, and records nobody owns (org-wide records)."""
    if viewer.role is Role.ADMIN or owner_id is None or owner_id == viewer.user_id:
        return True
    return bool(viewer.team_ids & frozenset(owner_team_ids))


def thread_detail(
    viewer: Person,
    owner: Person,
    sharing: Sharing,
    *,
    record_access: bool,
    thread_private: bool = False,
) -> Detail | None:
    """What `viewer` sees of a thread in `owner`'s mailbox on a record, or None for nothing.

    `sharing` must already be effective (see `effective_sharing`); `record_access` is
    `can_open_record` for the record being viewed.
    """
    if not record_access:
        return None
    if viewer.user_id == owner.user_id:
        return Detail.FULL
    if thread_private:
        return None
    if sharing.audience is Audience.PRIVATE:
        return None
    if sharing.audience is Audience.SELECTED and not (
        viewer.user_id in sharing.users or viewer.team_ids & sharing.teams
    ):
        return None
    return sharing.detail


@dataclass(frozen=True)
class Shown:
    """Which fields of a thread a viewer sees (docs/behaviour.md, "Sharing"): every path that shows
    mail (panel rows, thread page and JSON, notifications, search) redacts with this."""

    subject: bool
    content: bool  # snippet, body, attachments
    owner_state: bool  # Bcc, the owner's labels, read/starred state, the "New" badge


def shown_fields(detail: Detail, is_owner: bool) -> Shown:
    """The fields shown at `detail`; the owner always sees their own mail in full."""
    if is_owner:
        return Shown(subject=True, content=True, owner_state=True)
    return Shown(
        subject=detail is not Detail.METADATA, content=detail is Detail.FULL, owner_state=False
    )


# The table the sharing page and the docs show, generated from `shown_fields` so it cannot
# say something the code does not do: (field, what Full shows, Subject, Metadata).
SHOWN_TABLE_FIELDS = (
    ("Participants (From, To, Cc) and times", "always"),
    ("Subject", "subject"),
    ("Snippet, message bodies and attachments", "content"),
    ('Bcc, your labels, read and starred state, the "New" badge', "owner_state"),
)


def shown_table() -> list[tuple[str, dict[str, str]]]:
    """Per field, what a colleague sees at each detail level (keyed by the level's value):
    "yes", "no", or "owner only" for what is the owner's alone at every level."""
    out = []
    for name, attr in SHOWN_TABLE_FIELDS:
        cells = {}
        for d in (Detail.FULL, Detail.SUBJECT, Detail.METADATA):
            if attr == "always" or getattr(shown_fields(d, False), attr):
                cells[d.value] = "yes"
            else:
                cells[d.value] = "owner only" if attr == "owner_state" else "no"
        out.append((name, cells))
    return out


def mailbox_detail(viewer: Person, owner: Person, sharing: Sharing) -> Detail | None:
    """The most a viewer could see of a mailbox on a record they can open (private threads
    aside): used to decide which mailboxes to search at all for a record view."""
    return thread_detail(viewer, owner, sharing, record_access=True)


# --- Feature permissions (who may connect Gmail, use MailMagnet, label mail) --------------------


class Feature(StrEnum):
    CONNECT_GMAIL = "connect_gmail"
    MAILMAGNET = "mailmagnet"
    LABELS = "labels"


# Out of the box everyone may connect Gmail and use MailMagnet; labelling mail (which moves it
# out of the inbox) is off until an admin allows it.
DEFAULT_FEATURES = {Feature.CONNECT_GMAIL: True, Feature.MAILMAGNET: True, Feature.LABELS: False}


def feature_allowed(
    feature: Feature, role_rules: dict[Feature, bool], user_rules: dict[Feature, bool]
) -> bool:
    """A per-user rule wins over the per-role rule, which wins over the default. Category
    labels need MailMagnet (docs/behaviour.md, "Category labels"), so LABELS is never allowed
    without it."""

    def one(f: Feature) -> bool:
        if f in user_rules:
            return user_rules[f]
        if f in role_rules:
            return role_rules[f]
        return DEFAULT_FEATURES[f]

    if feature is Feature.LABELS and not one(Feature.MAILMAGNET):
        return False
    return one(feature)
