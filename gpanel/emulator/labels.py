"""A mailbox's label table: Gmail's system labels, user labels, and the rules Gmail enforces.

System labels (INBOX, SENT, UNREAD, ..., CATEGORY_*) always exist and cannot be created, renamed
or deleted. User labels get ids like `Label_12`; a name that equals another label's name
case-insensitively answers 409 "Label name exists or conflicts", a reserved name (inbox, spam,
drafts, ...) or an empty one answers 400 "Invalid label name", and a colour must come from
Gmail's fixed palette with both background and text given. Counts live in the mailbox (they
depend on the messages); this table only holds the labels themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gpanel.emulator import discovery, errors

SYSTEM_LABELS = (
    "INBOX",
    "SENT",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "SPAM",
    "TRASH",
    "DRAFT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)

# Names Gmail refuses for user labels (compared case-insensitively).
RESERVED_NAMES = frozenset(
    {label.lower() for label in SYSTEM_LABELS}
    | {
        "drafts",
        "chats",
        "archive",
        "all",
        "all mail",
        "allmail",
        "muted",
        "snoozed",
        "scheduled",
        "outbox",
        "sent mail",
        "spam",
        "bin",
        "personal",
        "social",
        "promotions",
        "updates",
        "forums",
    }
)

# Gmail's palette: the colours the bundled discovery document's LabelColor description lists
# (the same list for background and text), read from the document so newer colours count.
PALETTE = frozenset(
    c.lower()
    for c in re.findall(
        r"#[0-9a-fA-F]{6}",
        str(discovery.schemas()["LabelColor"]["properties"]["backgroundColor"]["description"]),
    )
)

_VISIBLE_SYSTEM = {"INBOX", "SENT", "STARRED", "IMPORTANT", "SPAM", "TRASH", "DRAFT", "UNREAD"}


@dataclass
class Label:
    id: str
    name: str
    type: str  # "system" or "user"
    message_list_visibility: str | None = None
    label_list_visibility: str | None = None
    color: dict[str, str] | None = None

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.message_list_visibility:
            out["messageListVisibility"] = self.message_list_visibility
        if self.label_list_visibility:
            out["labelListVisibility"] = self.label_list_visibility
        if self.color:
            out["color"] = dict(self.color)
        out["type"] = self.type
        return out


def _system(label_id: str) -> Label:
    if label_id in _VISIBLE_SYSTEM:
        return Label(label_id, label_id, "system", "hide", "labelShow")
    if label_id.startswith("CATEGORY_"):
        return Label(label_id, label_id, "system", None, "labelHide")
    return Label(label_id, label_id, "system")


class LabelTable:
    def __init__(self) -> None:
        self._labels: dict[str, Label] = {i: _system(i) for i in SYSTEM_LABELS}
        self._next = 1

    def all(self) -> list[Label]:
        return list(self._labels.values())

    def get(self, label_id: str) -> Label:
        label = self._labels.get(label_id)
        if label is None:
            raise errors.not_found("Requested entity was not found.")
        return label

    def by_name(self, name: str) -> Label | None:
        """A label by display name, case-insensitively (search's `label:` uses this)."""
        wanted = name.strip().lower()
        for label in self._labels.values():
            if label.name.lower() == wanted:
                return label
        return None

    def check_ids(self, label_ids: Iterable[str]) -> list[str]:
        """The ids, de-duplicated in order; 400 "Invalid label" for one that does not exist."""
        out: list[str] = []
        for label_id in label_ids:
            if not isinstance(label_id, str) or label_id not in self._labels:
                raise errors.bad_request(f"Invalid label: {label_id}")
            if label_id not in out:
                out.append(label_id)
        return out

    def _check_name(self, name: object, exclude: str | None = None) -> str:
        if not isinstance(name, str) or not name.strip() or len(name) > 225:
            raise errors.bad_request("Invalid label name")
        clean = name.strip()
        if clean.lower() in RESERVED_NAMES or clean.startswith("/") or clean.endswith("/"):
            raise errors.bad_request("Invalid label name")
        for label in self._labels.values():
            if label.id != exclude and label.name.lower() == clean.lower():
                raise errors.GoogleError(
                    409, "Label name exists or conflicts", "duplicate", status="ALREADY_EXISTS"
                )
        return clean

    @staticmethod
    def _check_color(color: object) -> dict[str, str] | None:
        if color is None:
            return None
        if not isinstance(color, dict):
            raise errors.bad_request("Invalid color")
        bg, fg = color.get("backgroundColor"), color.get("textColor")
        for value in (bg, fg):
            if not isinstance(value, str) or value.lower() not in PALETTE:
                raise errors.bad_request(f"Label color {value} is not on the allowed color palette")
        return {"textColor": str(fg).lower(), "backgroundColor": str(bg).lower()}

    def create(self, body: dict[str, Any]) -> Label:
        name = self._check_name(body.get("name"))
        label = Label(
            id=f"Label_{self._next}",
            name=name,
            type="user",
            message_list_visibility=_visibility(body, "messageListVisibility", "show"),
            label_list_visibility=_visibility(body, "labelListVisibility", "labelShow"),
            color=self._check_color(body.get("color")),
        )
        self._next += 1
        self._labels[label.id] = label
        return label

    def update(self, label_id: str, body: dict[str, Any], patch: bool) -> Label:
        """labels.update replaces the fields (name required); labels.patch changes those given."""
        label = self.get(label_id)
        if label.type == "system":
            raise errors.bad_request("Invalid label update: system labels cannot be changed")
        if "name" in body or not patch:
            label.name = self._check_name(body.get("name"), exclude=label.id)
        for key, attr, default in (
            ("messageListVisibility", "message_list_visibility", "show"),
            ("labelListVisibility", "label_list_visibility", "labelShow"),
        ):
            if key in body or not patch:
                setattr(label, attr, _visibility(body, key, default))
        if "color" in body or not patch:
            label.color = self._check_color(body.get("color"))
        return label

    def delete(self, label_id: str) -> None:
        label = self.get(label_id)
        if label.type == "system":
            raise errors.bad_request("Invalid delete request: system labels cannot be deleted")
        del self._labels[label_id]


_VISIBILITY = {
    "messageListVisibility": {"show", "hide"},
    "labelListVisibility": {"labelShow", "labelShowIfUnread", "labelHide"},
}


def _visibility(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if value not in _VISIBILITY[key]:
        raise errors.bad_request(f"Invalid value at 'label.{key}': {value!r}"[:200])
    return str(value)
