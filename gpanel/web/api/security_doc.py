"""The OpenAPI document's account of who may call what: the two ways to authenticate (the
session cookie of a signed-in person, a personal API token as a bearer token), the token
scopes, and per operation the scope a token needs (from `guard.scopes`, the table the
middleware enforces, so the document cannot drift from the check). The mail routes, which
have no request models of their own here, are listed with their scope too."""

from __future__ import annotations

import re
from typing import Any

from gpanel.services.accounts.api_tokens import SCOPES
from gpanel.web.guard.scopes import PUBLIC, required_scope

# The mail side of the JSON API: (path, method, summary).
MAIL_OPERATIONS = (
    ("/api/records/{type}/{id}/threads", "get", "The threads shown on a record's mail panel"),
    (
        "/api/records/{type}/{id}/events",
        "get",
        "Meetings with the record from the calendars you may see (the owners' mail sharing; "
        "private events as busy only): events, last_meeting, next_meeting, notices",
    ),
    ("/api/records/{type}/{id}/why", "post", "Why a message is or is not on this record"),
    ("/api/records/{type}/{id}/panel/{action}", "post", "Unlink, relink or make private"),
    ("/api/threads/{mailbox_id}/{thread_id}", "get", "One thread, at the detail you may see"),
    ("/api/threads/{mailbox_id}/{thread_id}/actions", "post", "Archive, mark read, star ..."),
    ("/api/blocks", "get", "Your blocked addresses and domains"),
    ("/api/blocks", "post", "Block an address or domain"),
    ("/api/blocks/{block_id}", "delete", "Remove a block"),
    ("/api/mailbox/opened", "get", "Which colleagues opened which of your threads"),
    ("/api/mail/aliases", "get", "Your Gmail address and verified send-as aliases"),
    ("/api/mail/send", "post", "Send (Idempotency-Key header; send_at: send later)"),
    ("/api/mail/render", "post", "A template filled for a record, with missing fields"),
    ("/api/mail/scheduled", "get", "Your messages waiting to be sent (ids and times)"),
    ("/api/mail/scheduled/{draft_id}/cancel", "post", "Undo send / cancel a send later"),
    ("/api/mail/drafts", "post", "Save a new Gmail draft (the send request's fields)"),
    ("/api/mail/drafts/{draft_id}", "get", "One of your Gmail drafts, read live"),
    ("/api/mail/drafts/{draft_id}", "put", "Replace your Gmail draft's message"),
    ("/api/mail/drafts/{draft_id}", "patch", "Replace your Gmail draft's message"),
    ("/api/mail/follow-ups", "get", "Your follow-up reminders (thread ids and due dates)"),
    ("/api/mail/follow-ups/{follow_up_id}", "delete", "Cancel a follow-up reminder"),
    ("/api/templates", "get", "Your templates and those shared with your team"),
    ("/api/templates", "post", "Create a template"),
    ("/api/templates/{template_id}", "get", "One template"),
    ("/api/templates/{template_id}", "patch", "Change a template"),
    ("/api/templates/{template_id}", "delete", "Delete a template"),
    ("/api/team-mailboxes", "get", "The team mailboxes you belong to, with their options"),
    (
        "/api/team-mailboxes/{box_id}/threads",
        "get",
        "A team inbox, live from Gmail, newest first: threads with status, assignee, version, "
        "New and overdue; counts per status and the banner",
    ),
    (
        "/api/team-mailboxes/{box_id}/threads/{thread_id}/assign",
        "post",
        'Assign a thread: {"user_id": id or null, "version": the version you saw (optional)}; '
        "409 with who holds it when someone changed it first",
    ),
    (
        "/api/team-mailboxes/{box_id}/threads/{thread_id}/status",
        "post",
        '{"status": "assigned" | "in_progress" | "to_handle" | "closed", "version": optional}',
    ),
    (
        "/api/team-mailboxes/{box_id}/stats",
        "get",
        "A team mailbox's figures: first-response and resolution times (count, median and p90 "
        "in seconds) in total, per member and per week, from gpanel's assignment records",
    ),
)
# The document itself and the page that draws it: (path, method, summary).
META_OPERATIONS = (
    ("/api/openapi.json", "get", "This OpenAPI document"),
    ("/api/docs", "get", "This document as a readable page (Swagger UI, served locally)"),
)
# Query parameters of the mail operations that take some: (path, name, schema, description).
QUERY_PARAMETERS = (
    (
        "/api/records/{type}/{id}/events",
        "when",
        {"type": "string", "enum": ["past", "upcoming"], "default": "upcoming"},
        "Past meetings (newest first) or upcoming ones (soonest first)",
    ),
    (
        "/api/records/{type}/{id}/events",
        "tz",
        {"type": "string"},
        "An IANA time zone for the times (default: the organisation's)",
    ),
    (
        "/api/records/{type}/{id}/events",
        "company",
        {"type": "boolean"},
        "On a deal: include the company's addresses and domains",
    ),
    (
        "/api/team-mailboxes/{box_id}/threads",
        "status",
        {
            "type": "string",
            "enum": ["unassigned", "assigned", "in_progress", "to_handle", "closed", "overdue"],
        },
        "Only threads of this status (overdue: computed from the response time)",
    ),
    (
        "/api/team-mailboxes/{box_id}/threads",
        "assignee",
        {"type": "integer"},
        "Only threads assigned to this user id",
    ),
    (
        "/api/team-mailboxes/{box_id}/threads",
        "show",
        {"type": "string", "enum": ["all", "mine", "unassigned", "overdue"]},
        "A filter of the team inbox",
    ),
    (
        "/api/team-mailboxes/{box_id}/stats",
        "weeks",
        {"type": "integer", "minimum": 1, "maximum": 104, "default": 12},
        "How many weeks, this one included",
    ),
)
_EXAMPLES = {"type": "contact", "action": "unlink", "thread_id": "t1", "draft_id": "r1"}


def _example(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _EXAMPLES.get(m.group(1), "1"), path)


def _security(path: str, method: str) -> list[dict[str, list[str]]]:
    scope = required_scope(method.upper(), _example(path))
    if scope == PUBLIC:
        return []
    token = [{"apiToken": [scope]}] if scope else []
    return [{"session": []}, *token]


def add_security(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with securitySchemes, the mail operations and each operation's `security`."""
    paths = doc.setdefault("paths", {})
    for path, method, summary in MAIL_OPERATIONS:
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", path)
        ]
        params += [
            {"name": name, "in": "query", "required": False, "schema": schema, "description": words}
            for where, name, schema, words in QUERY_PARAMETERS
            if where == path
        ]
        paths.setdefault(path, {})[method] = {
            "tags": ["mail"],
            "summary": summary,
            "parameters": params,
            "responses": {"200": {"description": "OK"}, "403": {"description": "Not allowed"}},
        }
    for path, method, summary in META_OPERATIONS:
        paths.setdefault(path, {})[method] = {
            "tags": ["api"],
            "summary": summary,
            "responses": {"200": {"description": "OK"}},
        }
    for path, item in paths.items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                operation["security"] = _security(path, method)
    scopes = "\n".join(f"- `{name}`: {words}" for name, words in SCOPES.items())
    doc.setdefault("components", {})["securitySchemes"] = {
        "session": {"type": "apiKey", "in": "cookie", "name": "gpanel_session"},
        "apiToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (Settings > API tokens), acting as its maker "
            "with their record access, within the scopes chosen when it was made; a call "
            "outside them is answered 403. Scopes:\n" + scopes,
        },
    }
    return doc
