"""The emulator's control API under `/_emulator/`: what tests and the demo use to set the stage.

Create users and list them, put raw RFC 822 messages into a mailbox with chosen labels and
internalDate, mint an access token for a user and scopes without the browser flow (tests only),
expire tokens, set how mailboxes keep and filter history, and reset everything. The wire layer
adds its own control routes (latency, quota, faults, request log) beside these. Errors use
Google's JSON error shape. There is no authentication: the emulator is a test double that
listens on loopback.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.state import EmulatorState, SendAsAlias

DEFAULT_SCOPES = ("https://www.googleapis.com/auth/gmail.modify",)


def _state(request: Request) -> EmulatorState:
    found: EmulatorState = request.app.state.emulator
    return found


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.bad_request("Invalid JSON payload received.", reason="invalid") from None
    if not isinstance(body, dict):
        raise errors.bad_request("Expected a JSON object.", reason="invalid")
    return body


def _email(body: dict[str, Any], key: str = "email") -> str:
    value = body.get(key)
    if not isinstance(value, str) or "@" not in value:
        raise errors.bad_request(f"'{key}' must be an email address", reason="required")
    return value.strip()


async def add_user(request: Request) -> Response:
    body = await _body(request)
    name = body.get("name") or ""
    mailbox = _state(request).add_user(_email(body), str(name))
    # Optional send-as settings: the primary's signature and aliases (users.settings.sendAs).
    if isinstance(body.get("signature"), str):
        mailbox.signature = body["signature"]
    for alias in body.get("aliases") or []:
        if not isinstance(alias, dict):
            raise errors.bad_request("'aliases' must be a list of objects", reason="invalid")
        address = _email(alias)
        mailbox.aliases[address.lower()] = SendAsAlias(
            address,
            str(alias.get("name") or ""),
            str(alias.get("signature") or ""),
            bool(alias.get("verified", True)),
        )
    return JSONResponse({"email": mailbox.owner, "name": mailbox.name}, status_code=201)


async def list_users(request: Request) -> Response:
    state = _state(request)
    users = []
    for mailbox in state.mailboxes():
        users.append(
            {
                "email": mailbox.owner,
                "name": mailbox.name,
                "messages": len(mailbox.messages),
                "threads": len(mailbox.threads),
                "historyId": str(mailbox.history_id),
            }
        )
    return JSONResponse({"users": users})


def _raw(value: object) -> bytes:
    """Control-API message text: base64url of the bytes, or the RFC 822 text itself."""
    if not isinstance(value, str) or not value:
        raise errors.bad_request("'raw' is required", reason="required")
    if ":" in value[:1000] and ("\n" in value or " " in value):
        return value.encode("utf-8")
    text = value.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise errors.bad_request("'raw' is neither RFC 822 text nor base64url", "invalid") from None


async def insert_message(request: Request) -> Response:
    state = _state(request)
    mailbox = state.mailbox(request.path_params["email"])
    body = await _body(request)
    labels = body.get("labelIds", ["INBOX", "UNREAD"])
    if not isinstance(labels, list):
        raise errors.bad_request("'labelIds' must be a list", reason="invalid")
    date = body.get("internalDate")
    try:
        date_ms = int(date) if date is not None else None
    except (TypeError, ValueError):
        raise errors.bad_request("'internalDate' must be epoch milliseconds", "invalid") from None
    thread_id = body.get("threadId")
    message = mailbox.insert_raw(
        _raw(body.get("raw")),
        labels,
        date_ms,
        thread_id if isinstance(thread_id, str) else None,
    )
    return JSONResponse({"id": message.id, "threadId": message.thread_id}, status_code=201)


async def issue_token(request: Request) -> Response:
    state = _state(request)
    body = await _body(request)
    email = _email(body)
    if state.find_mailbox(email) is None:
        raise errors.not_found(f"No emulator user {email}")
    scopes = body.get("scopes") or list(DEFAULT_SCOPES)
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise errors.bad_request("'scopes' must be a list of strings", reason="invalid")
    ttl = body.get("ttl")
    if ttl is not None and not isinstance(ttl, int | float):
        raise errors.bad_request("'ttl' must be seconds", reason="invalid")
    token = state.accounts.issue_access_token(email, scopes, ttl=ttl)
    expires_in = int(ttl if ttl is not None else state.accounts.default_ttl_seconds)
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": expires_in,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
        }
    )


async def expire_tokens(request: Request) -> Response:
    body = await _body(request)
    email = body.get("email")
    count = _state(request).accounts.expire_all(email if isinstance(email, str) else None)
    return JSONResponse({"expired": count})


async def reset(request: Request) -> Response:
    _state(request).reset()
    return JSONResponse({"reset": True})


LABEL_FILTERS = ("message", "thread")


async def history(request: Request) -> Response:
    """GET/PUT the history retention (records kept per mailbox; an older `startHistoryId`
    answers 404) and history.list's `labelId` semantics (docs/emulator.md, "History modes")."""
    state = _state(request)
    if request.method == "PUT":
        body = await _body(request)
        retention = body.get("retention", state.config.history_retention)
        if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
            raise errors.bad_request("retention must be an integer >= 1.")
        label_filter = body.get("label_filter", state.config.history_label_filter)
        if label_filter not in LABEL_FILTERS:
            raise errors.bad_request(f"label_filter must be one of {', '.join(LABEL_FILTERS)}.")
        state.set_history(retention, label_filter)
    return JSONResponse(
        {
            "retention": state.config.history_retention,
            "label_filter": state.config.history_label_filter,
        }
    )


SEARCH_MODES = ("strict", "loose")


async def search(request: Request) -> Response:
    """GET/PUT how from:/to:/cc:/bcc: match: "strict" by words, as Gmail does, or "loose",
    also by substring (docs/emulator.md, "Search modes")."""
    state = _state(request)
    if request.method == "PUT":
        mode = (await _body(request)).get("mode", state.config.search_mode)
        if mode not in SEARCH_MODES:
            raise errors.bad_request(f"mode must be one of {', '.join(SEARCH_MODES)}.")
        state.config.search_mode = mode
    return JSONResponse({"mode": state.config.search_mode})


async def busy(request: Request) -> Response:
    """GET/PUT busy mailbox mode: one background change per mailbox every `interval_ms`
    (0: quiet), so historyIds move as in a real mailbox (gmail_api/busy.py)."""
    state = _state(request)
    if request.method == "PUT":
        interval = (await _body(request)).get("interval_ms", state.config.busy_interval_ms)
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
            raise errors.bad_request("interval_ms must be a number >= 0.")
        state.config.busy_interval_ms = float(interval)
    return JSONResponse({"interval_ms": state.config.busy_interval_ms})


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_emulator/users", add_user, methods=["POST"]),
        Route("/_emulator/users", list_users, methods=["GET"]),
        Route("/_emulator/users/{email}/messages", insert_message, methods=["POST"]),
        Route("/_emulator/token", issue_token, methods=["POST"]),
        Route("/_emulator/expire-tokens", expire_tokens, methods=["POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/history", history, methods=["GET", "PUT"]),
        Route("/_emulator/search", search, methods=["GET", "PUT"]),
        Route("/_emulator/busy", busy, methods=["GET", "PUT"]),
    ]
