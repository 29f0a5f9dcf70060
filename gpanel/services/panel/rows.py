"""The record panel's rows: one per conversation (`deduplicate`) and each redacted to what the
viewer may see (`redact`, the only place a row's fields are chosen). Pure functions over what
`view.record_threads` read and judged; moved here from view.py unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gpanel.crm.models import RecordType
from gpanel.services.panel import inputs as panel_store
from gpanel.services.panel.rules import MailboxOwner, Reason, ThreadMeta, Verdict
from gpanel.services.sharing.policy import Detail, shown_fields

_DETAIL_RANK = {Detail.METADATA: 0, Detail.SUBJECT: 1, Detail.FULL: 2}
SYSTEM_LABELS = frozenset({"INBOX", "UNREAD", "SENT", "DRAFT", "SPAM", "TRASH", "CHAT"})


@dataclass(frozen=True)
class RowParticipant:
    email: str
    name: str  # the CRM name when known, else the header's display name, else ""
    contact_id: int | None = None


@dataclass(frozen=True)
class PanelRow:
    mailbox_id: int
    thread_id: str
    owner_name: str
    mine: bool  # the viewer owns the mailbox
    detail: Detail
    participants: tuple[RowParticipant, ...]
    last_at: datetime
    count: int
    whole: bool  # count is the thread's messages; else the record's messages in the thread
    subject: str | None  # None below Subject detail
    snippet: str | None  # None below Full detail
    unread: bool | None  # None at Metadata detail
    labels: tuple[str, ...]  # user-visible label names; empty at Metadata detail
    starred: bool
    new: bool  # a MailMagnet hit not yet opened
    private: bool  # shown to the owner only
    url: str


Candidate = tuple[MailboxOwner, ThreadMeta, Verdict, dict[str, str]]


def deduplicate(candidates: list[Candidate], viewer_id: int) -> list[Candidate]:
    """One row per conversation: threads sharing an RFC Message-ID are the same conversation
    seen in several mailboxes. A conversation unlinked from the record in any mailbox stays
    hidden; otherwise the viewer's own copy wins, then the richer detail, then the longer."""
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for i, (_, meta, _, _) in enumerate(candidates):
        for rfc in meta.rfc_ids:
            j = first_seen.setdefault(rfc, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        if any(candidates[i][2].reason is Reason.UNLINKED for i in members):
            continue
        visible = [candidates[i] for i in members if candidates[i][2].shown]
        if not visible:
            continue
        out.append(
            max(
                visible,
                key=lambda c: (
                    c[0].owner.user_id == viewer_id,
                    _DETAIL_RANK[c[2].detail or Detail.METADATA],
                    c[1].count,
                    -c[0].mailbox_id,
                ),
            )
        )
    return out


def redact(
    owner: MailboxOwner,
    meta: ThreadMeta,
    detail: Detail,
    labels: dict[str, str],
    names: dict[str, panel_store.CrmName],
    viewer_id: int,
    record_type: RecordType,
    record_id: int,
    *,
    new: bool,
    private: bool,
) -> PanelRow:
    """The row a viewer sees at `detail`, field by field as `policy.shown_fields` says (the
    table of docs/behaviour.md, "Sharing"): the owner sees everything; others see participants
    without Bcc and times, the subject from Subject up, the snippet at Full only, and never
    the owner's labels, read or starred state or "New" badge. The only place a row is built."""
    is_owner = owner.owner.user_id == viewer_id
    shown = shown_fields(detail, is_owner)
    people = tuple(
        RowParticipant(
            p.email,
            names[p.email].name if p.email in names else p.name,
            names[p.email].id if p.email in names and names[p.email].kind == "contact" else None,
        )
        for p in (meta.people if is_owner else meta.open_people)
    )
    label_ids = meta.label_ids
    return PanelRow(
        mailbox_id=meta.mailbox_id,
        thread_id=meta.thread_id,
        owner_name=owner.owner_name,
        mine=is_owner,
        detail=detail,
        participants=people,
        last_at=meta.last_at,
        count=meta.count if meta.whole else max(meta.matched, meta.count),
        whole=meta.whole,
        subject=meta.subject if shown.subject else None,
        snippet=meta.snippet if shown.content else None,
        unread=meta.unread if shown.owner_state else None,
        labels=tuple(
            labels.get(i, i)
            for i in label_ids
            if i not in SYSTEM_LABELS
            and not i.startswith("CATEGORY_")
            and i not in ("STARRED", "IMPORTANT")
        )
        if shown.owner_state
        else (),
        starred="STARRED" in label_ids if shown.owner_state else False,
        new=new and shown.owner_state,
        private=private and is_owner,
        url=f"/records/{record_type}/{record_id}/threads/{meta.mailbox_id}/{meta.thread_id}",
    )
