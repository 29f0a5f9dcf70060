"""What the thread view shows, built from a `ThreadGrant`: one presentation for the page and
the JSON API, cut to the viewer's detail level.

- FULL: every message's headers, its body sanitised by `gpanel.mail` and wrapped in the frame
  document (`srcdoc`, CSP first in its head), a plain-text version when the message also has
  one, attachments with size and type, `cid:` images pointing at the attachment route, and
  remote images blocked until the reader asks for them for that message (then rewritten to
  signed image-proxy URLs). Bodies are sanitised off the event loop, once per message version,
  as viewer-independent templates (`body_cache`, `mail.template`); the viewer's image URLs are
  filled in per view. A body over the sanitising budget shows "too large to show here".
- SUBJECT: headers and subject, no body, no attachment.
- METADATA: participants and times only: no subject, no label, no body.

Field by field this is `policy.shown_fields` (the table of docs/behaviour.md, "Sharing"): Bcc, the
owner's labels and read, starred and inbox state are the mailbox owner's alone at every level.
Addresses are resolved to CRM contacts (linked) and gpanel users. URLs come from the web
layer (`Links`), so this module knows no routes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.crm.contacts import find_contacts_by_emails
from gpanel.crm.emails import normalise_email
from gpanel.mail.frame import srcdoc_document
from gpanel.mail.headers import AddressList
from gpanel.mail.image_policy import ALLOWED_CONTENT_TYPES
from gpanel.mail.message import MessageView
from gpanel.mail.quotes import fold_quotes
from gpanel.mail.render import body_source, finish_body
from gpanel.mail.sanitize import SanitizedHtml
from gpanel.mail.template import BodyTemplate, fill_template, make_template
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records.access import visible
from gpanel.services.sharing.policy import Detail, shown_fields
from gpanel.services.threads.body_cache import MAX_BODY_CHARS, BodyRenderer
from gpanel.services.threads.gate import ThreadGrant, participants
from gpanel.store.tables import users

# System labels said in words; read state and sent/draft/chat show elsewhere or not at all.
SYSTEM_LABEL_WORDS = {
    "INBOX": "Inbox",
    "STARRED": "Starred",
    "IMPORTANT": "Important",
    "SPAM": "Spam",
    "TRASH": "Trash",
}
HIDDEN_LABELS = frozenset({"UNREAD", "SENT", "DRAFT", "CHAT"})
MAX_TEXT_VERSION_CHARS = 256 * 1024  # a longer plain-text twin is left to the download
_BREAKS = re.compile(r"<(?:br|p|div|tr|li|h[1-6]|blockquote|table)\b", re.I)


@dataclass(frozen=True)
class Links:
    """URL builders the web layer provides (absolute URLs on gpanel's own origin)."""

    origin: str
    image_paths: tuple[str, ...]
    attachment: Callable[[str, str, bool], str]  # (message id, part id, inline) -> url
    image: Callable[[str, str], str]  # (message id, remote image url) -> signed proxy url


@dataclass(frozen=True)
class PersonRef:
    name: str
    email: str
    contact_id: int | None = None
    user_name: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class AttachmentItem:
    part_id: str
    filename: str
    mime_type: str
    size: int
    url: str

    @property
    def size_text(self) -> str:
        return human_size(self.size)


@dataclass(frozen=True)
class BodyItem:
    srcdoc: str
    html: str  # sanitised, without the frame document around it
    text: str | None  # the plain-text version, when the message has one beside its HTML
    truncated: bool
    remote_images: bool
    blocked_images: int
    images_shown: bool
    height: int  # a first guess in CSS pixels; the frame is opaque, so it cannot be measured
    too_large: bool  # over the sanitising budget: a notice stands in for the body


@dataclass(frozen=True)
class MessageItem:
    id: str
    sender: tuple[PersonRef, ...]
    to: tuple[PersonRef, ...]
    cc: tuple[PersonRef, ...]
    bcc: tuple[PersonRef, ...]
    date: datetime | None
    date_text: str
    subject: str | None
    unread: bool | None
    body: BodyItem | None
    attachments: tuple[AttachmentItem, ...]


@dataclass(frozen=True)
class ThreadPage:
    grant: ThreadGrant
    detail: Detail
    subject: str | None
    messages: tuple[MessageItem, ...]
    labels: tuple[str, ...]  # display names (FULL and SUBJECT only)
    unread: bool
    starred: bool
    in_inbox: bool
    gmail_url: str | None  # the owner's own Gmail only
    user_labels: tuple[tuple[str, str], ...]  # the owner's label choices for actions

    @property
    def is_owner(self) -> bool:
        return self.grant.viewer_is_owner


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def gmail_link(email: str, thread_id: str) -> str:
    return f"https://mail.google.com/mail/u/?authuser={email}#all/{thread_id}"


async def resolve_people(
    engine: AsyncEngine, emails: Iterable[str], fold: bool, viewer: CurrentUser | None = None
) -> dict[str, PersonRef]:
    """Contacts and gpanel users behind addresses, keyed by the normalised address. Only
    contacts `viewer` may open are named (None: trusted callers): another's contact stays a
    bare address, its CRM name and record not shown."""
    wanted = sorted({normalise_email(e, fold) for e in emails if e})[:2000]
    found: dict[str, PersonRef] = {}
    if not wanted:
        return found
    async with engine.connect() as conn:
        contacts = await find_contacts_by_emails(conn, wanted, fold)
        allowed = {c.id for c in await visible(conn, viewer, list(contacts.values()))}
        contacts = {k: c for k, c in contacts.items() if c.id in allowed}
        rows = (
            await conn.execute(select(users.c.email, users.c.name).where(users.c.email.in_(wanted)))
        ).all()
    for key, contact in contacts.items():
        found[key] = PersonRef(contact.name, key, contact_id=contact.id)
    for email, name in rows:
        key = normalise_email(email, fold)
        known = found.get(key)
        found[key] = PersonRef(
            known.name if known else name, key, known.contact_id if known else None, user_name=name
        )
    return found


def _people(group: AddressList, known: dict[str, PersonRef], fold: bool) -> tuple[PersonRef, ...]:
    out = []
    for address in group.addresses:
        ref = known.get(normalise_email(address.email, fold)) if address.email else None
        out.append(
            PersonRef(
                address.name or (ref.name if ref else ""),
                address.email,
                ref.contact_id if ref else None,
                ref.user_name if ref else None,
            )
        )
    return tuple(out)


def _height(html: str, text_chars: int) -> int:
    lines = len(_BREAKS.findall(html)) + html.count("\n") + text_chars // 100
    return max(120, min(1400, 60 + 22 * lines))


_SCRIPT_NONCE = "0" * 32  # templates made without a renderer never leave this process


async def body_templates(
    bodies: BodyRenderer | None, mailbox_id: int, history_id: str, views: Iterable[MessageView]
) -> dict[str, BodyTemplate]:
    """Each message's body template by message id, sanitised off the event loop (all of the
    thread's bodies at once) and cached per message version. Without a renderer (scripts)
    they are made here, in this thread, with no time budget."""
    wanted = [(v.id, src) for v in views if (src := body_source(v)) is not None]
    if bodies is None:
        return {
            i: make_template(src, _SCRIPT_NONCE, max_chars=MAX_BODY_CHARS, max_seconds=None)
            for i, src in wanted
        }
    made = await asyncio.gather(
        *(bodies.template((mailbox_id, i, history_id), src) for i, src in wanted)
    )
    return {i: template for (i, _), template in zip(wanted, made, strict=True)}


def _body(
    view: MessageView,
    links: Links,
    show_images: bool,
    original: str | None,
    template: BodyTemplate | None,
    nonce: str,
) -> BodyItem:
    def rewrite(url: str) -> str | None:
        if url[:4].lower() == "cid:":
            part = view.part_for_cid(url)
            if part is None or part.mime_type.lower() not in ALLOWED_CONTENT_TYPES:
                return None
            return links.attachment(view.id, part.part_id, True)
        return links.image(view.id, url) if show_images else None

    result = SanitizedHtml("", 0, False)  # no body at all
    if template is not None:
        result = finish_body(view, fill_template(template, nonce, rewrite), original)
    source = view.html_body or view.text_body
    text = None
    twin = view.text_body if view.html_body is not None else None
    if twin is not None and len(twin.text) <= MAX_TEXT_VERSION_CHARS:
        text = twin.text
    # Quoted earlier messages fold away; the frame's height is estimated on what shows.
    folded, visible = fold_quotes(result.html)
    shown_chars = len(source.text) if source else 0
    if visible < len(result.html):
        shown_chars = shown_chars * visible // max(1, len(result.html))
    return BodyItem(
        srcdoc=srcdoc_document(folded, links.origin, links.image_paths),
        html=result.html,
        text=text,
        truncated=bool(source and source.truncated),
        remote_images=result.has_remote_images,
        blocked_images=result.blocked_remote_images,
        images_shown=show_images and result.has_remote_images,
        height=_height(result.html[:visible], shown_chars)
        + (30 if visible < len(result.html) else 0),
        too_large=result.over_budget,
    )


def _attachments(view: MessageView, links: Links) -> tuple[AttachmentItem, ...]:
    return tuple(
        AttachmentItem(
            a.part_id, a.filename, a.mime_type, a.size, links.attachment(view.id, a.part_id, False)
        )
        for a in view.attachments
    )


def _date_text(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if value else ""


async def build_page(
    engine: AsyncEngine,
    grant: ThreadGrant,
    links: Links,
    *,
    show_images: Collection[str] = (),
    timezone: str = "UTC",
    fold: bool = False,
    bodies: BodyRenderer | None = None,
) -> ThreadPage:
    """The thread as this viewer may see it. `show_images` holds message ids (or "all").
    `bodies` sanitises off the event loop and caches (the web passes the process's own)."""
    detail = grant.detail
    thread = grant.thread
    owner = grant.viewer_is_owner
    shown = shown_fields(detail, owner)  # docs/behaviour.md, "Sharing": the table, field by field
    known = await resolve_people(engine, participants(thread.messages), fold, grant.viewer)
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    original = gmail_link(grant.mailbox.email, thread.id) if owner else None
    templates: dict[str, BodyTemplate] = {}
    if shown.content:
        templates = await body_templates(
            bodies, grant.mailbox.id, thread.history_id, thread.messages
        )
    nonce = bodies.nonce if bodies is not None else _SCRIPT_NONCE
    items = []
    for view in thread.messages:
        full = shown.content
        date = view.headers.date or view.internal_date
        images = "all" in show_images or view.id in show_images
        items.append(
            MessageItem(
                id=view.id,
                sender=_people(view.headers.from_, known, fold),
                to=_people(view.headers.to, known, fold),
                cc=_people(view.headers.cc, known, fold),
                bcc=_people(view.headers.bcc, known, fold) if owner else (),
                date=date,
                date_text=_date_text(date, zone),
                subject=view.headers.subject if shown.subject else None,
                unread="UNREAD" in view.label_ids if shown.owner_state else None,
                body=(
                    _body(view, links, images, original, templates.get(view.id), nonce)
                    if full
                    else None
                ),
                attachments=_attachments(view, links) if full else (),
            )
        )
        if full:
            # Filling and framing a large body takes milliseconds of CPU: let other requests
            # run between messages, so one huge thread is never one long step of the loop.
            await asyncio.sleep(0)
    label_ids = thread.label_ids
    shown_labels: tuple[str, ...] = ()
    if shown.owner_state:
        shown_labels = tuple(
            SYSTEM_LABEL_WORDS.get(i) or thread.label_names.get(i, i)
            for i in label_ids
            if i not in HIDDEN_LABELS and not i.startswith("CATEGORY_")
        )
    first_subject = next((m.headers.subject for m in thread.messages if m.headers.subject), "")
    return ThreadPage(
        grant=grant,
        detail=detail,
        subject=first_subject if shown.subject else None,
        messages=tuple(items),
        labels=shown_labels,
        unread="UNREAD" in label_ids and shown.owner_state,
        starred="STARRED" in label_ids and shown.owner_state,
        in_inbox="INBOX" in label_ids and shown.owner_state,
        gmail_url=original,
        user_labels=thread.user_labels if owner else (),
    )
