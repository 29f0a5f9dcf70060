"""What every Gmail route shares: bearer auth, userId rules, scopes, parameters, JSON in and out.

`authorize()` runs first in every handler, in Google's order: a missing, unknown or expired
token is 401; a userId other than `me` or the token's own address is 403 "Delegation denied";
a token without one of the scopes the discovery document lists for the method is 403
insufficientPermissions. It returns a `Call` naming the mailbox and whether only the
gmail.metadata scope applies (which forbids `q` and the full/raw formats). Parameter readers turn
bad values into Google's 400 shapes, and `respond()` honours the `fields` partial-response mask.
Route modules (gmail_api_labels, _messages, _threads, _watch) register their routes through
`gmail_routes()`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gpanel.emulator import discovery, errors
from gpanel.emulator.accounts import Grant
from gpanel.emulator.state import EmulatorState, Mailbox

METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"
PREFIX = "/gmail/v1/users/{userId}"


@dataclass
class Call:
    state: EmulatorState
    grant: Grant
    mailbox: Mailbox
    metadata_only: bool


def state_of(request: Request) -> EmulatorState:
    found: EmulatorState = request.app.state.emulator
    return found


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.query_params.get("access_token")


def authorize(request: Request, method_id: str) -> Call:
    state = state_of(request)
    token = _bearer(request)
    grant = state.accounts.resolve(token) if token else None
    if grant is None:
        raise errors.invalid_credentials()
    user_id = request.path_params.get("userId", "me")
    if user_id != "me" and user_id.strip().lower() != grant.email.lower():
        raise errors.GoogleError(
            403, f"Delegation denied for {grant.email}", "forbidden", status="PERMISSION_DENIED"
        )
    accepted = set(discovery.by_id(method_id).scopes)
    usable = accepted & grant.scopes
    if not usable:
        raise errors.insufficient_scopes()
    mailbox = state.find_mailbox(grant.email) or state.add_user(grant.email)
    return Call(state, grant, mailbox, usable == {METADATA_SCOPE})


def metadata_forbids(call: Call, *, q: str | None = None, fmt: str | None = None) -> None:
    """The gmail.metadata scope's refusals, with Google's wording."""
    if not call.metadata_only:
        return
    if q:
        raise errors.GoogleError(
            403, "Metadata scope does not support 'q' parameter", "forbidden", status=""
        )
    if fmt in ("full", "raw"):
        raise errors.GoogleError(
            403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden", status=""
        )


# --- parameters -----------------------------------------------------------------------------
def _invalid(name: str, kind: str, value: str) -> errors.GoogleError:
    shown = value if len(value) <= 40 else value[:40] + "..."
    return errors.bad_request(f"Invalid value at '{name}' ({kind}), \"{shown}\"", reason="invalid")


def bool_param(request: Request, name: str, default: bool = False) -> bool:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise _invalid(_snake(name), "TYPE_BOOL", value)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if not re.fullmatch(r"-?\d{1,18}", value):
        raise _invalid(_snake(name), "TYPE_UINT32", value)
    return max(low, min(high, int(value)))


def list_param(request: Request, name: str) -> list[str]:
    return [v for v in request.query_params.getlist(name) if v]


def format_param(request: Request, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get("format", "full") or "full"
    if value.lower() not in allowed:
        raise _invalid("format", "type.googleapis.com/google.apps.gmail.v1.Format", value)
    return value.lower()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


async def json_body(request: Request, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; 400 "Invalid JSON payload received" for anything else."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise errors.bad_request("Invalid JSON payload received. Empty body.", reason="invalid")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.bad_request(
            "Invalid JSON payload received. Unexpected token.", reason="invalid"
        ) from None
    if not isinstance(body, dict):
        raise errors.bad_request(
            "Invalid JSON payload received. Expected an object.", reason="invalid"
        )
    return body


def string_list(body: dict[str, Any], key: str, limit: int | None = None) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.bad_request(f"Invalid value at '{_snake(key)}'", reason="invalid")
    if limit is not None and len(value) > limit:
        raise errors.bad_request(
            f"Too many {key}: at most {limit} allowed", reason="invalidArgument"
        )
    return list(value)


def decode_raw(value: object, field: str = "message.raw") -> bytes:
    """base64url (padded or not; plain base64 tolerated) to bytes; 400 on anything else."""
    if not isinstance(value, str):
        raise errors.bad_request(f"Invalid value at '{field}' (TYPE_BYTES)", reason="invalid")
    text = re.sub(r"\s+", "", value).replace("+", "-").replace("/", "_").rstrip("=")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise errors.bad_request(
            f"Invalid value at '{field}' (TYPE_BYTES), Base64 decoding failed", reason="invalid"
        )
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise errors.bad_request(
            f"Invalid value at '{field}' (TYPE_BYTES), Base64 decoding failed", reason="invalid"
        ) from None


# --- responses ------------------------------------------------------------------------------
def _parse_fields(text: str) -> dict[str, Any]:
    """A `fields` mask ("messages(id,threadId),nextPageToken", "a/b") as a nested dict."""
    tree: dict[str, Any] = {}
    stack = [tree]
    name = ""

    def flush() -> None:
        nonlocal name
        if name.strip():
            node = stack[-1]
            for piece in name.strip().split("/"):
                node = node.setdefault(piece, {})
        name = ""

    for ch in text:
        if ch == ",":
            flush()
        elif ch == "(":
            node = stack[-1]
            for piece in name.strip().split("/"):
                node = node.setdefault(piece, {})
            name = ""
            stack.append(node)
        elif ch == ")":
            flush()
            if len(stack) > 1:
                stack.pop()
        else:
            name += ch
    flush()
    return tree


def _mask(value: Any, mask: dict[str, Any]) -> Any:
    if not mask:
        return value
    if isinstance(value, list):
        return [_mask(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v, mask[k]) for k, v in value.items() if k in mask}
    return value


def respond(request: Request, body: dict[str, Any] | None, status: int = 200) -> Response:
    """JSON like Google's (UTF-8, `fields` honoured); None is an empty 204."""
    if body is None:
        return Response(status_code=204)
    fields = request.query_params.get("fields")
    if fields:
        body = _mask(body, _parse_fields(fields))
    return JSONResponse(body, status_code=status, media_type="application/json; charset=UTF-8")
