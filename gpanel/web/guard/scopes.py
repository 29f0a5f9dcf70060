"""Which scope of a personal API token each `/api/` route needs, and the check itself.

One table for the whole JSON API, read by `ViewerMiddleware` before any handler runs and by
the OpenAPI document: CRM reads need `crm:read`, CRM changes `crm:write`, anything that shows
mail (thread lists, threads, "why", blocks, who opened what) `mail:read`, anything that
changes mail or its rules (thread actions, unlink, private, blocks) `mail:act`, sending
`mail:send`. A route the table does not name is refused to every token: a new route stays
closed to tokens until someone decides its scope (a test walks the routes to keep it so).
Sessions (people in a browser) are not scoped; they act with their whole access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PUBLIC = ""  # a route anyone may call, token or not
UNLISTED = None  # not in the table: closed to tokens

_CRM = r"/api/(?:companies|contacts|deals|users|teams)(?:/\d+)?"
_READ = frozenset({"GET", "HEAD"})
_WRITE = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    scope: str


def _rule(path: str, methods: frozenset[str] | set[str], scope: str) -> Rule:
    return Rule(re.compile(path), frozenset(methods), scope)


RULES: tuple[Rule, ...] = (
    _rule(r"/api/openapi\.json", _READ, PUBLIC),
    _rule(r"/api/docs", _READ, PUBLIC),  # the page drawing the document above
    _rule(_CRM, _READ, "crm:read"),
    _rule(_CRM, _WRITE, "crm:write"),
    _rule(r"/api/threads/\d+/[^/]+", _READ, "mail:read"),
    _rule(r"/api/threads/\d+/[^/]+/actions", {"POST"}, "mail:act"),
    _rule(r"/api/records/[^/]+/\d+/threads", _READ, "mail:read"),
    # The calendar tab follows the owner's mail sharing, so it reads under the mail scope.
    _rule(r"/api/records/[^/]+/\d+/events", _READ, "mail:read"),
    _rule(r"/api/records/[^/]+/\d+/why", {"POST"}, "mail:read"),
    _rule(r"/api/records/[^/]+/\d+/panel/[^/]+", {"POST"}, "mail:act"),
    _rule(r"/api/blocks", _READ, "mail:read"),
    _rule(r"/api/blocks", {"POST"}, "mail:act"),
    _rule(r"/api/blocks/\d+", {"DELETE"}, "mail:act"),
    _rule(r"/api/mailbox/opened", _READ, "mail:read"),
    _rule(r"/api/send(?:/.*)?", {"POST"}, "mail:send"),
    # Sending (web/sending): aliases, send, render, scheduled sends, templates.
    _rule(r"/api/mail/(?:aliases|scheduled)", _READ, "mail:send"),
    _rule(r"/api/mail/(?:send|render)", {"POST"}, "mail:send"),
    _rule(r"/api/mail/scheduled/[^/]+/cancel", {"POST"}, "mail:send"),
    _rule(r"/api/mail/drafts", {"POST"}, "mail:send"),
    _rule(r"/api/mail/drafts/[0-9A-Za-z_-]+", _READ | {"PUT", "PATCH"}, "mail:send"),
    _rule(r"/api/mail/follow-ups", _READ, "mail:send"),
    _rule(r"/api/mail/follow-ups/\d+", {"DELETE"}, "mail:send"),
    _rule(r"/api/templates(?:/\d+)?", _READ | _WRITE, "mail:send"),
    # Team mailboxes (web/team_mailboxes): the team inbox reads, assigning and statuses act.
    _rule(r"/api/team-mailboxes(?:/\d+/threads)?", _READ, "mail:read"),
    _rule(r"/api/team-mailboxes/\d+/stats", _READ, "mail:read"),  # figures of a team inbox
    _rule(
        r"/api/team-mailboxes/\d+/threads/[0-9A-Za-z_-]+/(?:assign|status)", {"POST"}, "mail:act"
    ),
)


def required_scope(method: str, path: str) -> str | None:
    """The scope a token needs for `method path` (PUBLIC: none; UNLISTED: refused)."""
    for rule in RULES:
        if method.upper() in rule.methods and rule.pattern.fullmatch(path):
            return rule.scope
    return UNLISTED


def token_refusal(method: str, path: str, scopes: frozenset[str]) -> str | None:
    """Why a token with `scopes` may not call `method path`, or None if it may."""
    needed = required_scope(method, path)
    if needed == PUBLIC or (needed is not None and needed in scopes):
        return None
    if needed is None:
        return "API tokens cannot use this route."
    return f"This API token does not have the {needed} scope this route needs."
