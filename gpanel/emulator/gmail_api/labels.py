"""users.labels.*: list, get (with message and thread counts), create, patch, update, delete.

The rules themselves (system labels, `Label_N` ids, 409 on a name clash, 400 on reserved names,
the colour palette) live in `labels.LabelTable`; these handlers only parse and answer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator.gmail_api.common import PREFIX, authorize, json_body, respond


async def list_labels(request: Request) -> Response:
    call = authorize(request, "gmail.users.labels.list")
    return respond(request, {"labels": [x.resource() for x in call.mailbox.labels.all()]})


async def get_label(request: Request) -> Response:
    call = authorize(request, "gmail.users.labels.get")
    label = call.mailbox.labels.get(request.path_params["id"])
    return respond(request, {**label.resource(), **call.mailbox.label_counts(label.id)})


async def create_label(request: Request) -> Response:
    call = authorize(request, "gmail.users.labels.create")
    body = await json_body(request)
    with call.state.lock:
        label = call.mailbox.labels.create(body)
    return respond(request, label.resource())


async def update_label(request: Request) -> Response:
    method = "patch" if request.method == "PATCH" else "update"
    call = authorize(request, f"gmail.users.labels.{method}")
    body = await json_body(request)
    with call.state.lock:
        label = call.mailbox.labels.update(request.path_params["id"], body, patch=method == "patch")
    return respond(request, label.resource())


async def delete_label(request: Request) -> Response:
    call = authorize(request, "gmail.users.labels.delete")
    with call.state.lock:
        call.mailbox.delete_label(request.path_params["id"])
    return respond(request, None)


def routes() -> list[BaseRoute]:
    base = PREFIX + "/labels"
    return [
        Route(base, list_labels, methods=["GET"]),
        Route(base, create_label, methods=["POST"]),
        Route(base + "/{id}", get_label, methods=["GET"]),
        Route(base + "/{id}", update_label, methods=["PUT", "PATCH"]),
        Route(base + "/{id}", delete_label, methods=["DELETE"]),
    ]
