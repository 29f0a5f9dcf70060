"""The owner's private labels page, /mailbox/private-labels: tick the Gmail labels (read live
from Gmail) whose threads are never shown to anyone else; `services.panel.private_labels`
stores the choice and the panel's gate enforces it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.gmail import GmailError, RetryPolicy
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.mailboxes import Mailbox
from gpanel.services.panel import private_labels
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render

RETRY = RetryPolicy(max_tries=3, base=0.25, cap=2.0, deadline=8.0, max_retry_after=3.0)


async def _own(request: Request) -> Mailbox:
    box = await mailboxes.for_user(ctx_of(request).engine, require_user(request).id)
    if box is None:
        raise HTTPException(404, "You have not connected a mailbox yet.")
    return box


async def _gmail_labels(request: Request, box: Mailbox) -> list[private_labels.GmailLabel]:
    mb = ctx_of(request).gmail.mailbox(box.key, retry=RETRY)
    return private_labels.user_labels(await mb.list_labels())


async def page(request: Request) -> Response:
    box = await _own(request)
    ctx = ctx_of(request)
    kept = await private_labels.chosen(ctx.engine, box.id)
    error = None
    try:
        offered = await _gmail_labels(request, box)
    except GmailError as exc:
        offered, error = [], exc.user_message
    # A chosen label deleted in Gmail since is still listed, so it can be unticked.
    known = {label.id for label in offered}
    offered += [label for label in kept if label.id not in known]
    return render(
        request,
        "mailbox/private_labels.html",
        {
            "offered": offered,
            "kept": {label.id for label in kept},
            "error": error,
            "saved": request.query_params.get("notice") == "saved",
        },
    )


async def save(request: Request) -> Response:
    box = await _own(request)
    ctx = ctx_of(request)
    form = await request.form()
    ticked = {str(v) for v in form.getlist("label")}
    try:
        offered = await _gmail_labels(request, box)
    except GmailError as exc:
        raise HTTPException(502, exc.user_message) from None
    kept = await private_labels.chosen(ctx.engine, box.id)
    # Only ids Gmail lists now (or already kept) are stored: nothing typed in is trusted.
    by_id = {label.id: label for label in (*kept, *offered)}
    await private_labels.save(ctx.engine, box.id, [by_id[i] for i in sorted(ticked) if i in by_id])
    return RedirectResponse("/mailbox/private-labels?notice=saved", status_code=303)


routes: list[BaseRoute] = [
    Route("/mailbox/private-labels", page, name="private_labels"),
    Route("/mailbox/private-labels", save, methods=["POST"]),
]
