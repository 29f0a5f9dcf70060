"""A send request as the API takes it, its validation, and the RFC 5322 message it becomes.

Validation refuses what must never reach Gmail: a CR or LF in any header field (display names
and subjects included: header injection), an address that does not parse as one mailbox, more
than 500 recipients (Gmail's cap), a literal `{{` left from a template. Errors are collected as
`{"field", "message"}` so the API answers every one at once (422).

`build_message` writes the MIME message gpanel hands to Gmail: From (the user's address or a
verified alias), To/Cc/Bcc, the Subject, a Message-ID gpanel makes (so a send whose answer was
lost can be found again by `rfc822msgid:`), In-Reply-To and References for a reply, and the
body as text and sanitised HTML (nh3) with the alias's sanitised signature. Nothing here
stores or logs anything.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import html as html_lib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import nh3

MAX_RECIPIENTS = 500  # Gmail's cap per message
MAX_SUBJECT = 998  # RFC 5322's line limit
REPLY_MODES = ("reply", "reply_all", "forward")
MAX_UNDO = 30  # seconds a sent message may be taken back
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


class Invalid(Exception):
    """The request cannot be sent as it is; `errors` lists every reason (field, message)."""

    def __init__(self, errors: list[dict[str, str]], missing: list[str] | None = None) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors
        self.missing = missing or []


class Refused(Exception):
    """Not sendable by this viewer as asked: `status` and plain words."""

    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ReplyTo:
    mailbox_id: int
    thread_id: str
    message_id: str
    mode: str


@dataclass(frozen=True)
class RecordRef:
    type: str
    id: int


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name, its media type and its bytes (held in memory only)."""

    filename: str
    content_type: str
    data: bytes


def check_attachment(item: Attachment, fld: str, errors: list[dict[str, str]]) -> None:
    if _has_break(item.filename) or _has_break(item.content_type) or not item.filename.strip():
        errors.append({"field": fld, "message": "needs a file name without line breaks"})
    if not re.fullmatch(r"[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+", item.content_type):
        errors.append({"field": fld, "message": "has no valid media type"})


@dataclass
class Compose:
    """A validated send request (addresses as `(name, email)`)."""

    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    bcc: list[tuple[str, str]]
    subject: str
    text: str
    html: str
    sender: str | None = None  # the From address asked for (None: the mailbox's own)
    reply_to: ReplyTo | None = None
    record: RecordRef | None = None
    template_id: int | None = None
    send_at: dt.datetime | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def recipients(self) -> list[tuple[str, str]]:
        return [*self.to, *self.cc, *self.bcc]


def _has_break(value: str) -> bool:
    return "\r" in value or "\n" in value or "\x00" in value


def parse_address(value: object, fld: str, errors: list[dict[str, str]]) -> tuple[str, str] | None:
    """One `Name <a@b>` or `a@b`; a header break or anything but one mailbox is an error."""
    if not isinstance(value, str) or not value.strip():
        errors.append({"field": fld, "message": "must be an email address"})
        return None
    if _has_break(value):
        errors.append({"field": fld, "message": "must not contain a line break"})
        return None
    found = email.utils.getaddresses([value])
    if len(found) != 1:
        errors.append({"field": fld, "message": f"is not one email address: {value[:80]}"})
        return None
    name, address = found[0]
    if not _ADDRESS.fullmatch(address) or len(address) > 320:
        errors.append({"field": fld, "message": f"is not a valid email address: {value[:80]}"})
        return None
    return name.strip(), address.lower()


def _addresses(
    body: dict[str, Any], key: str, errors: list[dict[str, str]]
) -> list[tuple[str, str]]:
    value = body.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        errors.append({"field": key, "message": "must be a list of addresses"})
        return []
    out = []
    for i, item in enumerate(value):
        parsed = parse_address(item, f"{key}[{i}]", errors)
        if parsed:
            out.append(parsed)
    return out


def _text(body: dict[str, Any], key: str, errors: list[dict[str, str]], header: bool) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append({"field": key, "message": "must be a string"})
        return ""
    if header and _has_break(value):
        errors.append({"field": key, "message": "must not contain a line break"})
    if header and len(value) > MAX_SUBJECT:
        errors.append({"field": key, "message": f"is longer than {MAX_SUBJECT} characters"})
    return value


def _reply(value: object, errors: list[dict[str, str]]) -> ReplyTo | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.append({"field": "reply_to", "message": "must be an object"})
        return None
    mode = value.get("mode", "reply")
    mailbox_id, thread_id, message_id = (
        value.get("mailbox_id"),
        value.get("thread_id"),
        value.get("message_id"),
    )
    if mode not in REPLY_MODES:
        errors.append({"field": "reply_to.mode", "message": "must be reply, reply_all or forward"})
    if not isinstance(mailbox_id, int) or isinstance(mailbox_id, bool):
        errors.append({"field": "reply_to.mailbox_id", "message": "must be a mailbox id"})
    for key, item in (("thread_id", thread_id), ("message_id", message_id)):
        if not isinstance(item, str) or not re.fullmatch(r"[0-9a-zA-Z_-]{1,64}", item):
            errors.append({"field": f"reply_to.{key}", "message": "must be a Gmail id"})
    if any(e["field"].startswith("reply_to") for e in errors):
        return None
    return ReplyTo(int(str(mailbox_id)), str(thread_id), str(message_id), str(mode))


def _record(value: object, errors: list[dict[str, str]]) -> RecordRef | None:
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or value.get("type") not in ("contact", "company", "deal")
        or not isinstance(value.get("id"), int)
    ):
        errors.append(
            {"field": "record", "message": 'must be {"type": contact|company|deal, "id"}'}
        )
        return None
    return RecordRef(str(value["type"]), int(value["id"]))


def _when(value: object, errors: list[dict[str, str]]) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append({"field": "send_at", "message": "must be an ISO 8601 time"})
        return None
    if when.tzinfo is None:
        errors.append({"field": "send_at", "message": "must carry a time zone"})
        return None
    return when.astimezone(dt.UTC)


def parse_request(body: dict[str, Any]) -> Compose:
    """The request's fields, with every problem found in `errors` (not raised: templates may
    still fill the subject and body)."""
    errors: list[dict[str, str]] = []
    sender = body.get("from")
    sender_address = None
    if sender is not None:
        parsed = parse_address(sender, "from", errors)
        sender_address = parsed[1] if parsed else None
    template_id = body.get("template_id")
    if template_id is not None and (
        not isinstance(template_id, int) or isinstance(template_id, bool)
    ):
        errors.append({"field": "template_id", "message": "must be a template id"})
        template_id = None
    compose = Compose(
        to=_addresses(body, "to", errors),
        cc=_addresses(body, "cc", errors),
        bcc=_addresses(body, "bcc", errors),
        subject=_text(body, "subject", errors, header=True),
        text=_text(body, "text", errors, header=False),
        html=_text(body, "html", errors, header=False),
        sender=sender_address,
        reply_to=_reply(body.get("reply_to"), errors),
        record=_record(body.get("record"), errors),
        template_id=template_id,
        send_at=_when(body.get("send_at"), errors),
        errors=errors,
    )
    undo = body.get("undo_seconds")
    if undo is not None:
        # Undo send: the message waits that long as a Gmail draft, like a send later.
        if not isinstance(undo, int) or isinstance(undo, bool) or not 0 <= undo <= MAX_UNDO:
            errors.append({"field": "undo_seconds", "message": f"must be 0 to {MAX_UNDO}"})
        elif undo and compose.send_at is None:
            compose.send_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=undo)
    return compose


def final_checks(compose: Compose) -> None:
    """What must hold once templates are applied; Invalid lists every failure."""
    errors = list(compose.errors)
    count = len(compose.recipients)
    if count == 0:
        errors.append({"field": "to", "message": "at least one recipient is needed"})
    if count > MAX_RECIPIENTS:
        errors.append(
            {"field": "to", "message": f"{count} recipients: Gmail takes at most {MAX_RECIPIENTS}"}
        )
    if _has_break(compose.subject):
        errors.append({"field": "subject", "message": "must not contain a line break"})
    for i, item in enumerate(compose.attachments):
        check_attachment(item, f"attachments[{i}]", errors)
    for key in ("subject", "text", "html"):
        if "{{" in getattr(compose, key):
            errors.append({"field": key, "message": "still holds a merge field ({{...}})"})
    if errors:
        raise Invalid(errors)


def clean_html(source: str) -> str:
    """Outgoing HTML through nh3's allow-list (no script, no event handlers, safe links)."""
    return nh3.clean(source) if source.strip() else ""


def html_to_text(source: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", source)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def reply_subject(original: str, mode: str) -> str:
    """Gmail's subject for a reply ("Re: ") or forward ("Fwd: "), not doubled."""
    prefix = "Fwd: " if mode == "forward" else "Re: "
    bare = original.strip()
    if re.match(r"(?i)^(re|fwd?)\s*:", bare) and prefix.lower().startswith(bare[:2].lower()):
        return bare
    return prefix + bare


@dataclass(frozen=True)
class Threading:
    """A reply's headers: In-Reply-To and References of the message answered."""

    in_reply_to: str
    references: tuple[str, ...]


def build_message(
    compose: Compose,
    sender: tuple[str, str],
    *,
    message_id: str,
    signature_html: str = "",
    threading: Threading | None = None,
) -> bytes:
    """The RFC 5322 bytes (CRLF) of the message, ready for messages.send or drafts.create."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr(sender)
    for key, group in (("To", compose.to), ("Cc", compose.cc), ("Bcc", compose.bcc)):
        if group:
            msg[key] = ", ".join(email.utils.formataddr(x) for x in group)
    msg["Subject"] = compose.subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = message_id
    if threading is not None:
        msg["In-Reply-To"] = threading.in_reply_to
        msg["References"] = " ".join(threading.references)
    signature = clean_html(signature_html)
    html = clean_html(compose.html)
    text = compose.text or (html_to_text(html) if html else "")
    if signature:
        text = f"{text}\n\n-- \n{html_to_text(signature)}"
        if html:
            html = f'{html}<div class="gmail_signature">{signature}</div>'
    msg.set_content(text or "")
    if html:
        msg.add_alternative(html, subtype="html")
    for item in compose.attachments:
        main, _, sub = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename)
    return msg.as_bytes()


def new_message_id(sender_email: str, token: str) -> str:
    domain = sender_email.rpartition("@")[2] or "gpanel.invalid"
    return f"<gpanel.{token}@{domain}>"
