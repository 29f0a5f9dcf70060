"""The emulator's mailboxes: messages as raw RFC 822, threads, labels and the history log.

`EmulatorState` is everything one emulator instance remembers: the accounts (shared with the
OAuth half) and one `Mailbox` per account. The wire conditions live above it (app.py builds
them and registers their reset, so `/_emulator/reset` clears them too).
A `Mailbox` keeps each message's raw bytes with its labelIds, internalDate and threadId, threads
replies the way Gmail does (References/In-Reply-To plus a matching normalised subject), owns the
label table with Gmail's conflict and reserved-name rules, and writes one history record per
change under a monotonic historyId, keeping only the last `config.history_retention` records so
an older startHistoryId answers 404 like Google. Route code and the control API call the public
methods here; nothing in this module speaks HTTP.
"""

from __future__ import annotations

import email.utils
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gpanel.emulator import errors
from gpanel.emulator.accounts import Accounts
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.labels import LabelTable
from gpanel.emulator.mime.payload import add_missing_headers, strip_header
from gpanel.emulator.mime.summary import Summary, summarize

# History record kinds, named as history.list's `historyTypes` values.
MESSAGE_ADDED = "messageAdded"
MESSAGE_DELETED = "messageDeleted"
LABEL_ADDED = "labelAdded"
LABEL_REMOVED = "labelRemoved"

FIRST_HISTORY_ID = 1000  # Gmail's ids are large; starting above 1 keeps "0"/"1" bugs visible.


@dataclass(eq=False)
class Message:
    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date_ms: int
    history_id: int = 0
    _summary: Summary | None = field(default=None, repr=False)

    @property
    def summary(self) -> Summary:
        """Headers, text and attachment facts parsed from `raw` once, on first use."""
        if self._summary is None:
            self._summary = summarize(self.raw)
        return self._summary


@dataclass
class SendAsAlias:
    """A Gmail send-as alias besides the primary address (users.settings.sendAs)."""

    email: str
    name: str = ""
    signature: str = ""  # HTML, as Gmail stores it
    verified: bool = True


@dataclass(frozen=True)
class Change:
    kind: str  # one of the four history types
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...]  # the labels added or removed (empty for added/deleted)
    message_labels: tuple[str, ...]  # the message's labels right after the change


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    changes: tuple[Change, ...]


class Mailbox:
    """One Gmail mailbox. Every mutation holds the state lock and bumps the historyId."""

    def __init__(self, owner: str, name: str, state: EmulatorState) -> None:
        self.owner = owner
        self.name = name
        self._state = state
        self._lock = state.lock
        self.labels = LabelTable()
        self.messages: dict[str, Message] = {}
        self.threads: dict[str, list[str]] = {}  # thread id -> message ids, oldest first
        self._by_message_id: dict[str, list[str]] = {}  # RFC Message-ID -> our message ids
        self.history_id = FIRST_HISTORY_ID
        self._history: deque[HistoryRecord] = deque()
        # Highest history id whose record is gone. The mailbox's history begins at its first
        # id, so an older start (`startHistoryId=1`) is out of date from the start, as at Google.
        self._pruned_through = FIRST_HISTORY_ID
        self.watch_expiration_ms: int | None = None
        self.watch_label_ids: frozenset[str] = frozenset()
        self.watch_topic = "projects/emulator/topics/gmail"
        self.drafts: dict[str, str] = {}  # draft id -> id of its DRAFT-labelled message
        self.aliases: dict[str, SendAsAlias] = {}  # lower-cased address -> alias
        self.signature = ""  # the primary address's Gmail signature (HTML)

    @property
    def config(self) -> EmulatorConfig:
        return self._state.config

    # --- history -----------------------------------------------------------------------------
    def _record(self, changes: list[Change]) -> int:
        self.history_id += 1
        self._history.append(HistoryRecord(self.history_id, tuple(changes)))
        self.prune()
        self._state.notify_change(self, changes)
        return self.history_id

    def prune(self) -> None:
        """Drop the records beyond `config.history_retention` (the oldest first)."""
        while len(self._history) > max(1, self._state.config.history_retention):
            self._pruned_through = self._history.popleft().id

    def history_since(self, start_history_id: int) -> list[HistoryRecord]:
        """Records after `start_history_id`; 404 notFound if some were already dropped."""
        with self._lock:
            if start_history_id < self._pruned_through:
                raise errors.not_found("Requested entity was not found.")
            return [r for r in self._history if r.id > start_history_id]

    # --- messages ----------------------------------------------------------------------------
    def get(self, message_id: str) -> Message:
        message = self.messages.get(message_id)
        if message is None:
            raise errors.not_found("Requested entity was not found.")
        return message

    def thread(self, thread_id: str) -> list[Message]:
        ids = self.threads.get(thread_id)
        if not ids:
            raise errors.not_found("Requested entity was not found.")
        return [self.messages[i] for i in ids]

    def insert_raw(
        self,
        raw: bytes,
        label_ids: Iterable[str] = ("INBOX", "UNREAD"),
        internal_date_ms: int | None = None,
        thread_id: str | None = None,
    ) -> Message:
        """Add a message as messages.insert does (no sending): threaded, labelled, recorded."""
        labels = self.labels.check_ids(label_ids)
        with self._lock:
            date_ms = int(time.time() * 1000) if internal_date_ms is None else internal_date_ms
            message = Message(
                id=self._state.new_message_id(date_ms),
                thread_id="",
                raw=raw,
                label_ids=labels,
                internal_date_ms=date_ms,
            )
            message.thread_id = self._thread_for(message.summary, thread_id) or message.id
            self.messages[message.id] = message
            thread = self.threads.setdefault(message.thread_id, [])
            thread.append(message.id)
            thread.sort(key=lambda i: (self.messages[i].internal_date_ms, i))
            if message.summary.message_id:
                self._by_message_id.setdefault(message.summary.message_id, []).append(message.id)
            change = Change(MESSAGE_ADDED, message.id, message.thread_id, (), tuple(labels))
            message.history_id = self._record([change])
            return message

    def send_raw(self, raw: bytes, thread_id: str | None = None) -> Message:
        """What messages.send does: label SENT here, deliver to recipient mailboxes here too."""
        raw = self._sendable_from(add_missing_headers(raw, self.owner, self.name))
        summary = summarize(raw)
        recipients = summary.recipient_addresses()
        if not recipients:
            raise errors.bad_request("Recipient address required", reason="invalidArgument")
        own = self.owner.lower()
        labels = ["SENT"] + (["INBOX", "UNREAD"] if own in recipients else [])
        sent = self.insert_raw(raw, labels, None, thread_id)
        delivered = strip_header(raw, "Bcc")
        for address in sorted(recipients - {own}):
            other = self._state.find_mailbox(address)
            if other is not None:
                other.insert_raw(delivered, ("INBOX", "UNREAD"), sent.internal_date_ms)
        return sent

    def _sendable_from(self, raw: bytes) -> bytes:
        """Gmail sends as the primary address unless From is a verified send-as alias; any
        other From is replaced by the primary address, as Gmail does."""
        _, address = email.utils.parseaddr(summarize(raw).sender)
        allowed = {self.owner.lower()} | {k for k, a in self.aliases.items() if a.verified}
        if address.lower() in allowed:
            return raw
        primary = email.utils.formataddr((self.name, self.owner)).encode("utf-8")
        stripped = strip_header(raw, "From")
        newline = b"\r\n" if b"\r\n" in stripped[:2000] else b"\n"
        return b"From: " + primary + newline + stripped

    def _thread_for(self, summary: Summary, thread_id: str | None) -> str | None:
        """The thread a new message joins, by Gmail's rules, or None for a new thread."""
        subject = summary.normalized_subject
        if thread_id and thread_id in self.threads:
            first = self.messages[self.threads[thread_id][0]]
            if first.summary.normalized_subject == subject:
                return thread_id
        for ref in reversed(summary.references):
            for candidate in self._by_message_id.get(ref, ()):
                found = self.messages.get(candidate)
                if found is not None and found.summary.normalized_subject == subject:
                    return found.thread_id
        return None

    def modify(self, message_id: str, add: Iterable[str], remove: Iterable[str]) -> Message:
        """Add then remove labels on one message, recording what actually changed."""
        add_ids = self.labels.check_ids(add)
        remove_ids = self.labels.check_ids(remove)
        with self._lock:
            message = self.get(message_id)
            before = list(message.label_ids)
            after = [x for x in before if x not in remove_ids]
            after += [x for x in add_ids if x not in after and x not in remove_ids]
            added = tuple(x for x in after if x not in before)
            removed = tuple(x for x in before if x not in after)
            message.label_ids = after
            changes = []
            if added:
                changes.append(
                    Change(LABEL_ADDED, message.id, message.thread_id, added, tuple(after))
                )
            if removed:
                changes.append(
                    Change(LABEL_REMOVED, message.id, message.thread_id, removed, tuple(after))
                )
            if changes:
                message.history_id = self._record(changes)
            return message

    def delete(self, message_id: str) -> None:
        """Permanent deletion (messages.delete): gone from its thread, messageDeleted recorded."""
        with self._lock:
            message = self.get(message_id)
            del self.messages[message_id]
            thread = self.threads[message.thread_id]
            thread.remove(message_id)
            if not thread:
                del self.threads[message.thread_id]
            ids = self._by_message_id.get(message.summary.message_id, [])
            if message_id in ids:
                ids.remove(message_id)
            change = Change(MESSAGE_DELETED, message.id, message.thread_id, (), ())
            self._record([change])

    def delete_label(self, label_id: str) -> None:
        """labels.delete: the label leaves every message first, then the table."""
        self.labels.get(label_id)
        for message in list(self.messages.values()):
            if label_id in message.label_ids:
                self.modify(message.id, (), (label_id,))
        self.labels.delete(label_id)

    # --- reading -----------------------------------------------------------------------------
    def newest_first(self) -> list[Message]:
        return sorted(
            self.messages.values(), key=lambda m: (m.internal_date_ms, m.id), reverse=True
        )

    def thread_labels(self, thread_id: str) -> set[str]:
        """The labels any message of the thread has now (empty when the thread is gone)."""
        with self._lock:
            ids = self.threads.get(thread_id) or []
            return {
                label for i in ids if i in self.messages for label in self.messages[i].label_ids
            }

    def thread_history_id(self, thread_id: str) -> int:
        return max(m.history_id for m in self.thread(thread_id))

    def label_counts(self, label_id: str) -> dict[str, int]:
        """messagesTotal/Unread and threadsTotal/Unread, as labels.get reports them."""
        with self._lock:
            with_label = [m for m in self.messages.values() if label_id in m.label_ids]
            unread = [m for m in with_label if "UNREAD" in m.label_ids]
            return {
                "messagesTotal": len(with_label),
                "messagesUnread": len(unread),
                "threadsTotal": len({m.thread_id for m in with_label}),
                "threadsUnread": len({m.thread_id for m in unread}),
            }


class EmulatorState:
    """All the emulator remembers: accounts and mailboxes."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        # The mailbox settings the control API may change, as started (a reset restores them).
        self._started = (
            config.history_retention,
            config.history_label_filter,
            config.search_mode,
            config.busy_interval_ms,
        )
        self.accounts = Accounts(default_ttl_seconds=config.access_token_ttl_seconds)
        # One lock for all mailboxes: the emulator serves one event loop, but tests also reach
        # into the state from their own thread while uvicorn runs in another.
        self.lock = threading.RLock()
        self._mailboxes: dict[str, Mailbox] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Callable[[Mailbox, list[Change]], None]] = []
        self._reset_hooks: list[Callable[[], None]] = []

    def add_user(self, email: str, name: str = "") -> Mailbox:
        """Create the account and its mailbox (an existing one is kept, its name updated)."""
        with self.lock:
            account = self.accounts.add(email, name)
            key = account.email.lower()
            mailbox = self._mailboxes.get(key)
            if mailbox is None:
                mailbox = Mailbox(account.email, account.name, self)
                self._mailboxes[key] = mailbox
            mailbox.name = account.name
            return mailbox

    def find_mailbox(self, email: str) -> Mailbox | None:
        return self._mailboxes.get(email.strip().lower())

    def mailbox(self, user_id_or_email: str) -> Mailbox:
        """The mailbox of an address; 400 for something that is not an address, else 404."""
        found = self.find_mailbox(user_id_or_email)
        if found is not None:
            return found
        if "@" not in user_id_or_email:
            raise errors.bad_request("Invalid user id specified in request/Delegation denied")
        raise errors.not_found(f"No mailbox for {user_id_or_email}")

    def mailboxes(self) -> list[Mailbox]:
        return list(self._mailboxes.values())

    def new_message_id(self, internal_date_ms: int) -> str:
        """A Gmail-looking 16-hex-digit id: the date in the high bits, a counter in the low."""
        n = next(self._ids)
        return f"{((max(internal_date_ms, 0) << 20) | (n & 0xFFFFF)):016x}"

    def add_listener(self, listener: Callable[[Mailbox, list[Change]], None]) -> None:
        """Called after every change (the watch/push notifier uses this)."""
        self._listeners.append(listener)

    def notify_change(self, mailbox: Mailbox, changes: list[Change]) -> None:
        for listener in self._listeners:
            listener(mailbox, changes)

    def set_history(self, retention: int, label_filter: str) -> None:
        """Change the history retention (old records go at once) and `labelId` semantics."""
        with self.lock:
            self.config.history_retention = retention
            self.config.history_label_filter = label_filter
            for mailbox in self._mailboxes.values():
                mailbox.prune()

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Also call `hook` on every `reset()` (app.py registers the wire's reset)."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Forget every account, token and mailbox, and run the reset hooks."""
        with self.lock:
            self.accounts.reset()
            self._mailboxes.clear()
            retention, label_filter, search_mode, busy_ms = self._started
            self.config.busy_interval_ms = busy_ms
            self.config.history_retention, self.config.history_label_filter = (
                retention,
                label_filter,
            )
            self.config.search_mode = search_mode
            for hook in self._reset_hooks:
                hook()
