"""Generated organisations and the independent oracle of the trust invariant (issue 10).

`orgs()` is a Hypothesis strategy for a whole organisation: users in teams and roles, each
user's sharing choice, the admin's rules for reps, contacts owned by users (or nobody), block
rules (personal and org-wide), and mail in every mailbox (inbound and sent, Cc, Bcc, group
mail, spam, trash, copies of one message in two mailboxes), private marks, unlinks and
MailMagnet hits, and deals (owner, primary contact, role contacts, company) written straight to
the store as old data would be, so they may name records their own viewers may not open.

`Oracle` derives from the product's rules alone (docs/behaviour.md, "Record-context mail" and
"Sharing") what each viewer must see. It is written here from those words and imports nothing
of gpanel's policy or rules code, so a bug there cannot hide itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

ORG_DOMAIN = "brightwave.example"  # the org's own domain in the test settings
GROUP_MAX = 3  # the stack runs with GPANEL_GROUP_MAIL_MAX_RECIPIENTS=3
ROLES = ("rep", "manager", "admin")
AUDIENCES = ("private", "selected", "record_access")
DETAILS = ("metadata", "subject", "full")
_RANK = {"private": 0, "selected": 1, "record_access": 2, "metadata": 0, "subject": 1, "full": 2}


@dataclass(frozen=True)
class UserSpec:
    role: str
    team: int | None  # index into the example's two teams
    audience: str
    detail: str
    picked_users: frozenset[int]
    picked_teams: frozenset[int]
    block: str | None  # "domain" (the user-blocked domain) | "contact:N" | None


@dataclass(frozen=True)
class MessageSpec:
    owner: int  # the mailbox (user index) it is delivered to
    outbound: bool  # sent by the owner (From the owner) rather than received
    contact: int  # the contact it is with (From, or To when sent)
    cc_contact: int | None
    bcc_contact: int | None  # sent mail only
    cc_blocked: str | None  # "user" | "org": Cc an address at a blocked domain
    group: bool  # more recipients than the group-mail limit
    label: str  # INBOX | SPAM | TRASH
    starred: bool
    copy_to: int | None  # inbound only: also delivered to this user's mailbox, same Message-ID
    private: bool
    unlinked: bool  # unlinked from its contact's record, in the owner's mailbox
    hit: bool  # a MailMagnet hit (inbound only)


@dataclass(frozen=True)
class DealSpec:
    owner: int | None  # user index, or nobody
    primary: int | None  # contact index
    roles: frozenset[int]  # contact indexes
    company: bool  # linked to the example's company


@dataclass(frozen=True)
class OrgSpec:
    users: tuple[UserSpec, ...]
    contact_owners: tuple[int | None, ...]
    company_owner: int | None  # the company whose domain every contact's address is at
    audience_rule: tuple[str, str] | None  # reps: ("forced" | "max", value)
    detail_rule: tuple[str, str] | None
    messages: tuple[MessageSpec, ...]
    deals: tuple[DealSpec, ...] = ()


@st.composite
def orgs(draw: st.DrawFn) -> OrgSpec:
    n_users = draw(st.integers(2, 4))
    n_contacts = draw(st.integers(1, 2))
    idx = st.integers(0, n_users - 1)
    users = []
    for _ in range(n_users):
        block = draw(
            st.sampled_from([None, None, "domain", *[f"contact:{c}" for c in range(n_contacts)]])
        )
        users.append(
            UserSpec(
                role=draw(st.sampled_from(ROLES)),
                team=draw(st.sampled_from([0, 1, None])),
                audience=draw(st.sampled_from([*AUDIENCES, "record_access"])),
                detail=draw(st.sampled_from(DETAILS)),
                picked_users=frozenset(draw(st.sets(idx, max_size=2))),
                picked_teams=frozenset(draw(st.sets(st.sampled_from([0, 1]), max_size=1))),
                block=block,
            )
        )
    rule = st.one_of(
        st.none(),
        st.tuples(st.sampled_from(["forced", "max"]), st.sampled_from(AUDIENCES)),
    )
    detail_rule = st.one_of(
        st.none(),
        st.tuples(st.sampled_from(["forced", "max"]), st.sampled_from(DETAILS)),
    )
    contact = st.integers(0, n_contacts - 1)
    messages = []
    for _ in range(draw(st.integers(1, 5))):
        outbound = draw(st.booleans())
        owner = draw(idx)
        copy_to = None if outbound else draw(st.one_of(st.none(), idx))
        messages.append(
            MessageSpec(
                owner=owner,
                outbound=outbound,
                contact=draw(contact),
                cc_contact=draw(st.one_of(st.none(), contact)),
                bcc_contact=draw(st.one_of(st.none(), contact)) if outbound else None,
                cc_blocked=draw(st.sampled_from([None, None, "user", "org"])),
                group=draw(st.booleans()) and draw(st.booleans()),
                label=draw(st.sampled_from(["INBOX", "INBOX", "INBOX", "SPAM", "TRASH"])),
                starred=draw(st.booleans()),
                copy_to=copy_to if copy_to != owner else None,
                private=draw(st.booleans()) and draw(st.booleans()),
                unlinked=draw(st.booleans()) and draw(st.booleans()),
                hit=not outbound and draw(st.booleans()),
            )
        )
    contact_owners = tuple(draw(st.one_of(st.none(), idx)) for _ in range(n_contacts))
    deals = [
        DealSpec(
            owner=draw(st.one_of(st.none(), idx)),
            primary=draw(st.one_of(st.none(), contact)),
            roles=frozenset(draw(st.sets(contact, max_size=2))),
            company=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    # A hostile rep's old deal: its owner names a contact of a colleague outside their team
    # (one they may not open) and has mail with that contact in their own mailbox.
    hostile = [
        (u, c)
        for u, me in enumerate(users)
        for c, owner in enumerate(contact_owners)
        if me.role != "admin"
        and owner is not None
        and owner != u
        and (me.team is None or users[owner].team != me.team)
    ]
    if draw(st.booleans()) and hostile:
        rep, target = draw(st.sampled_from(hostile))
        as_role = draw(st.booleans())
        deals.append(
            DealSpec(
                owner=rep,
                primary=None if as_role else target,
                roles=frozenset({target}) if as_role else frozenset(),
                company=draw(st.booleans()),
            )
        )
        messages.append(
            MessageSpec(
                owner=rep,
                outbound=draw(st.booleans()),
                contact=target,
                cc_contact=None,
                bcc_contact=None,
                cc_blocked=None,
                group=False,
                label="INBOX",
                starred=False,
                copy_to=None,
                private=False,
                unlinked=False,
                hit=False,
            )
        )
    return OrgSpec(
        deals=tuple(deals),
        users=tuple(users),
        contact_owners=contact_owners,
        company_owner=draw(st.one_of(st.none(), idx)),
        audience_rule=draw(rule),
        detail_rule=draw(detail_rule),
        messages=tuple(messages),
    )


# --- what the example looks like once seeded (names and ids) -----------------------------------
@dataclass(frozen=True)
class Copy:
    """One message as it sits in one mailbox (each message is a thread of its own)."""

    spec: MessageSpec
    number: int  # the message's index in the spec
    mailbox_user: int  # whose mailbox
    mailbox_id: int
    thread_id: str
    message_id: str  # Gmail's id in that mailbox
    rfc_id: str
    subject: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]


@dataclass
class Seeded:
    spec: OrgSpec
    emails: list[str]  # per user
    user_ids: list[int]
    team_ids: list[int]  # the example's two teams
    contact_ids: list[int]
    contact_emails: list[str]
    company_id: int
    company_domain: str
    user_block_domain: str
    org_block_domain: str
    copies: list[Copy] = field(default_factory=list)
    deal_ids: list[int] = field(default_factory=list)  # per `spec.deals`


def _blocked(pattern: str, address: str) -> bool:
    if pattern.startswith("@"):
        host = address.rpartition("@")[2]
        return host == pattern[1:] or host.endswith("." + pattern[1:])
    return address == pattern


COMPANY = -1  # the record index of the company; contacts are 0, 1, ...
DEAL = 100  # deal k is record index DEAL + k


def deal_record(k: int) -> int:
    return DEAL + k


class Oracle:
    """The product's rules, restated: who sees which copy, at what detail, with which fields.
    A record is a contact index, COMPANY (it matches every address at its domain) or
    `deal_record(k)`: a deal stands for the addresses of its primary and role contacts, and on
    request its company's, each only if the viewer may open that linked record."""

    def __init__(self, org: Seeded, *, lend: bool = False) -> None:
        self.org = org
        self.spec = org.spec
        self.lend = lend  # the bug the rules forbid: a deal lends every linked record's mail

    # record access and sharing -----------------------------------------------------------------
    def can_open(self, viewer: int, contact: int) -> bool:
        if contact >= DEAL:
            owner = self.spec.deals[contact - DEAL].owner
        elif contact == COMPANY:
            owner = self.spec.company_owner
        else:
            owner = self.spec.contact_owners[contact]
        me = self.spec.users[viewer]
        if me.role == "admin" or owner is None or owner == viewer:
            return True
        return me.team is not None and self.spec.users[owner].team == me.team

    def _bounded(self, user: int, field_name: str) -> str:
        u = self.spec.users[user]
        chosen = u.audience if field_name == "audience" else u.detail
        rule = self.spec.audience_rule if field_name == "audience" else self.spec.detail_rule
        if u.role != "rep" or rule is None:
            return chosen
        mode, value = rule
        if mode == "forced":
            return value
        return value if _RANK[chosen] > _RANK[value] else chosen

    def mailbox_detail(self, viewer: int, owner: int) -> str | None:
        """What the viewer may see of the owner's mailbox on a record they can open."""
        if viewer == owner:
            return "full"
        audience = self._bounded(owner, "audience")
        u = self.spec.users[owner]
        me = self.spec.users[viewer]
        if audience == "private":
            return None
        if audience == "selected" and not (
            viewer in u.picked_users or (me.team is not None and me.team in u.picked_teams)
        ):
            return None
        return self._bounded(owner, "detail")

    # the rules for one copy ---------------------------------------------------------------------
    def _people(self, c: Copy, viewer: int) -> set[str]:
        seen = {c.sender, *c.to, *c.cc}
        return seen | set(c.bcc) if viewer == c.mailbox_user else seen

    def _patterns(self, viewer: int, owner: int) -> list[str]:
        out = ["@" + self.org.org_block_domain]
        for who in {viewer, owner}:
            block = self.spec.users[who].block
            if block == "domain":
                out.append("@" + self.org.user_block_domain)
            elif block and block.startswith("contact:"):
                out.append(self.org.contact_emails[int(block.split(":")[1])])
        return out

    def _passes(self, viewer: int, contact: int, c: Copy, company: bool = False) -> bool:
        """Every rule but unlinks and private marks (they are applied apart). `company`: a
        deal's company counts too."""
        if (
            not self.can_open(viewer, contact)
            or self.mailbox_detail(viewer, c.mailbox_user) is None
        ):
            return False
        if c.spec.label in ("SPAM", "TRASH"):
            return False
        if not any(self._matches(viewer, contact, a, company) for a in self._people(c, viewer)):
            return False
        everyone = {c.sender, *c.to, *c.cc, *c.bcc}
        if any(_blocked(p, a) for p in self._patterns(viewer, c.mailbox_user) for a in everyone):
            return False
        if len({*c.to, *c.cc, *c.bcc}) > GROUP_MAX:
            return False
        # Internal-only mail is its owner's alone.
        inside = all(a.endswith("@" + ORG_DOMAIN) for a in self._people(c, viewer))
        return viewer == c.mailbox_user or not inside

    def _matches(self, viewer: int, record: int, address: str, company: bool = False) -> bool:
        if record >= DEAL:
            deal = self.spec.deals[record - DEAL]
            linked = {*deal.roles, *([deal.primary] if deal.primary is not None else [])}
            opened = [k for k in linked if self.lend or self.can_open(viewer, k)]
            if any(self._matches(viewer, k, address) for k in opened):
                return True
            return (
                company
                and deal.company
                and (self.lend or self.can_open(viewer, COMPANY))
                and self._matches(viewer, COMPANY, address)
            )
        if record == COMPANY:
            host = address.rpartition("@")[2]
            domain = self.org.company_domain
            return host == domain or host.endswith("." + domain)
        return address == self.org.contact_emails[record]

    def _unlinked(self, c: Copy, contact: int) -> bool:
        return c.spec.unlinked and c.mailbox_user == c.spec.owner and contact == c.spec.contact

    def _private(self, c: Copy) -> bool:
        return c.spec.private and c.mailbox_user == c.spec.owner

    def opens(self, viewer: int, contact: int, c: Copy) -> str | None:
        """The detail at which the thread opens by id from the record (an unlinked thread
        still opens, to be linked again), or None for a 404. A deal's thread opens with its
        company's mail counted (the deal page can show it on request)."""
        if not self._passes(viewer, contact, c, company=contact >= DEAL):
            return None
        if self._private(c) and viewer != c.mailbox_user:
            return None
        return self.mailbox_detail(viewer, c.mailbox_user)

    def rows(self, viewer: int, contact: int) -> dict[tuple[int, str], tuple[Copy, str]]:
        """The panel's rows: (mailbox id, thread id) -> (copy, detail). One row per message
        (copies share the RFC Message-ID): hidden if unlinked in any mailbox the viewer's view
        reaches, otherwise the viewer's own copy, then the richer detail, then the lower id."""
        by_rfc: dict[str, list[Copy]] = {}
        for c in self.org.copies:
            by_rfc.setdefault(c.rfc_id, []).append(c)
        out = {}
        for group in by_rfc.values():
            passing = [c for c in group if self._passes(viewer, contact, c)]
            if any(self._unlinked(c, contact) for c in passing):
                continue
            shown = [c for c in passing if not (self._private(c) and viewer != c.mailbox_user)]
            if not shown:
                continue
            best = max(
                shown,
                key=lambda c: (
                    c.mailbox_user == viewer,
                    _RANK[self.mailbox_detail(viewer, c.mailbox_user) or "metadata"],
                    -c.mailbox_id,
                ),
            )
            detail = self.mailbox_detail(viewer, best.mailbox_user) or "metadata"
            out[(best.mailbox_id, best.thread_id)] = (best, detail)
        return out

    def participants(self, viewer: int, c: Copy) -> set[str]:
        return self._people(c, viewer)

    def notifications(self, viewer: int) -> set[str]:
        """Message ids the viewer's notification list shows: hits of their own mailbox whose
        message is live, with no blocked participant and not group mail."""
        out = set()
        for c in self.org.copies:
            if not c.spec.hit or c.mailbox_user != viewer or c.mailbox_user != c.spec.owner:
                continue
            if c.spec.label in ("SPAM", "TRASH") or len({*c.to, *c.cc, *c.bcc}) > GROUP_MAX:
                continue
            everyone = {c.sender, *c.to, *c.cc, *c.bcc}
            if any(_blocked(p, a) for p in self._patterns(viewer, viewer) for a in everyone):
                continue
            out.add(c.message_id)
        return out
