"""users.settings.sendAs list and get: the addresses a mailbox may send as, with signatures.

The primary address is always there (isPrimary, isDefault, no verificationStatus, as Google
answers it); the other entries are the mailbox's `aliases` (seeded from the demo cast or the
control API), each with `treatAsAlias` and a `verificationStatus` of "accepted" or "pending".
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.gmail_api.common import PREFIX, authorize, respond
from gpanel.emulator.state import Mailbox, SendAsAlias


def primary_resource(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "sendAsEmail": mailbox.owner,
        "displayName": mailbox.name,
        "replyToAddress": "",
        "signature": mailbox.signature,
        "isPrimary": True,
        "isDefault": True,
    }


def alias_resource(alias: SendAsAlias) -> dict[str, Any]:
    return {
        "sendAsEmail": alias.email,
        "displayName": alias.name,
        "replyToAddress": "",
        "signature": alias.signature,
        "isDefault": False,
        "treatAsAlias": True,
        "verificationStatus": "accepted" if alias.verified else "pending",
    }


def send_as_resources(mailbox: Mailbox) -> list[dict[str, Any]]:
    return [primary_resource(mailbox), *(alias_resource(a) for a in mailbox.aliases.values())]


async def list_send_as(request: Request) -> Response:
    call = authorize(request, "gmail.users.settings.sendAs.list")
    with call.state.lock:
        return respond(request, {"sendAs": send_as_resources(call.mailbox)})


async def get_send_as(request: Request) -> Response:
    call = authorize(request, "gmail.users.settings.sendAs.get")
    wanted = request.path_params["sendAsEmail"].strip().lower()
    with call.state.lock:
        for resource in send_as_resources(call.mailbox):
            if resource["sendAsEmail"].lower() == wanted:
                return respond(request, resource)
    raise errors.not_found("Requested entity was not found.")


def routes() -> list[BaseRoute]:
    base = PREFIX + "/settings/sendAs"
    return [
        Route(base, list_send_as, methods=["GET"]),
        Route(base + "/{sendAsEmail}", get_send_as, methods=["GET"]),
    ]
