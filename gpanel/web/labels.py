"""The user's category labels: the "Label your email" switch, preview, explain, undo, and the
Gmail label view (the three labels with their counts and threads, read live from Gmail).

Everything acts on the signed-in user's own mailbox. The switch is offered when the admin
allows labels and MailMagnet is on for the mailbox (`services.labels.availability` says why
not otherwise). Turning it on asks this process's scheduler (if any) for a run right away.
Gmail reads on these pages use a short retry deadline, so a slow mailbox shows a notice instead
of hanging the page. Subjects shown in the label view are fetched when the page is drawn and
never kept.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.gmail import BadRequest, GmailError, MailboxClient, NotFound, RetryPolicy
from gpanel.services.accounts.mailboxes import Mailbox
from gpanel.services.labels import state as labels_state
from gpanel.services.labels import switch as labels
from gpanel.services.labels.explain import explain_contact, explain_message
from gpanel.services.labels.plan import ORDER, TITLES, InboxMode, header, label_names
from gpanel.services.labels.preview import preview
from gpanel.services.labels.undo import undo_labels
from gpanel.services.ops import job_state
from gpanel.services.panel.gate import open_mailbox
from gpanel.services.panel.rules import thread_meta
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render

VIEW_RETRY = RetryPolicy(max_tries=3, base=0.25, cap=2.0, deadline=8.0, max_retry_after=3.0)
THREADS_PER_PAGE = 15
PREVIEW_FIRST = "Look at the preview first: it shows what would move, then turn labels on there."
_KEYS = {c.value: c for c in ORDER}
INBOX_MODES = (
    (InboxMode.AT_ONCE, "At once", "as soon as it is labelled (as Zoho does)"),
    (InboxMode.ONCE_READ, "Once read", "it stays in the inbox until you have read it"),
    (InboxMode.NEVER, "Never", "labels only; your inbox stays as it is"),
)


async def _mine(request: Request) -> tuple[labels.Availability, Mailbox]:
    found = await labels.availability(ctx_of(request), require_user(request))
    if found.mailbox is None:
        raise HTTPException(404, "You have not connected a mailbox yet.")
    return found, found.mailbox


def _client(request: Request, box: Mailbox) -> MailboxClient:
    return ctx_of(request).gmail.mailbox(box.key, retry=VIEW_RETRY)


async def page(request: Request, **extra: Any) -> Response:
    ctx = ctx_of(request)
    found = await labels.availability(ctx, require_user(request))
    archived = (
        await labels_state.archived_count(ctx.engine, found.mailbox.id) if found.mailbox else 0
    )
    status = int(extra.pop("status_code", 200))
    return render(
        request,
        "labels/index.html",
        {
            "found": found,
            "job": found.job,
            "archived": archived,
            "names": label_names(ctx.settings.label_names),
            "order": ORDER,
            "minutes": ctx.settings.labels_interval_seconds // 60,
            "backfill_days": ctx.settings.labels_backfill_days,
            "notice": request.query_params.get("notice"),
            "mode": found.job.inbox_mode if found.job else InboxMode.AT_ONCE,
            "modes": INBOX_MODES,
            **extra,
        },
        status_code=status,
    )


async def enable(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    form = await request.form()
    if _first_time(await labels.availability(ctx, user)) and form.get("previewed") != "1":
        # The first time, the button is on the preview page only: see what moves, then agree.
        return await page(request, error=PREVIEW_FIRST, status_code=400)
    try:
        job = await labels.enable(ctx, user)
    except labels.LabelsRefused as exc:
        return await page(request, error=str(exc), status_code=403)
    await job_state.trigger(ctx, "labels", job.mailbox_id)
    return RedirectResponse("/settings/labels?notice=on", status_code=303)


async def inbox_mode(request: Request) -> Response:
    """The owner's choice of when labelled mail leaves the inbox (their own mailbox only)."""
    _, box = await _mine(request)
    form = await request.form()
    chosen = str(form.get("mode", ""))
    if chosen not in {m.value for m in InboxMode}:
        return await page(
            request, error="Choose when labelled mail leaves the inbox.", status_code=400
        )
    await labels_state.set_inbox_mode(ctx_of(request).engine, box.id, InboxMode(chosen))
    return RedirectResponse("/settings/labels?notice=mode", status_code=303)


async def disable(request: Request) -> Response:
    _, box = await _mine(request)
    await labels.disable(ctx_of(request), box.id)
    return RedirectResponse("/settings/labels?notice=off", status_code=303)


async def confirm_undo(request: Request) -> Response:
    """Say what undo does, with the number it will return to the inbox, and ask; nothing
    changes until the form is sent."""
    _, box = await _mine(request)
    ctx = ctx_of(request)
    archived = await labels_state.archived_count(ctx.engine, box.id)
    names = list(label_names(ctx.settings.label_names).values())
    return render(request, "labels/undo.html", {"archived": archived, "names": names})


async def undo(request: Request) -> Response:
    _, box = await _mine(request)
    try:
        done = await undo_labels(ctx_of(request), box.id)
    except GmailError as exc:
        return await page(request, error=exc.user_message, status_code=502)
    return await page(request, undone=done)


SAMPLE_HEADERS = ["From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID"]


async def _examples(
    request: Request, mb: MailboxClient, box: Mailbox, ids: list[str]
) -> dict[str, dict[str, str]]:
    """Subject, sender and date of each sample message, read live now (never kept), for the
    threads the panel's gate shows the viewer; a sample it hides (a private thread, a blocked
    sender) or one deleted since is left out."""
    if not ids:
        return {}
    got = await mb.batch_get_messages(ids, format="metadata", metadata_headers=SAMPLE_HEADERS)
    messages = {i: m for i, m in got.items() if isinstance(m, dict)}
    thread_ids = sorted({str(m.get("threadId", "")) for m in messages.values()} - {""})
    threads = await mb.batch_get_threads(
        thread_ids, format="metadata", metadata_headers=SAMPLE_HEADERS
    )
    gate = await open_mailbox(ctx_of(request), require_user(request), box.id)
    shown = {
        t_id
        for t_id, t in threads.items()
        if isinstance(t, dict) and gate.judge(thread_meta(box.id, t)).shown
    }
    return {
        i: {
            "subject": header(m, "Subject") or "(no subject)",
            "sender": header(m, "From"),
            "date": header(m, "Date"),
        }
        for i, m in messages.items()
        if str(m.get("threadId", "")) in shown
    }


async def preview_page(request: Request) -> Response:
    found, box = await _mine(request)
    mb = _client(request, box)
    try:
        result = await preview(ctx_of(request), mb, box.id, viewer=require_user(request))
        samples = [i for row in result.labels for i in row.samples]
        examples = await _examples(request, mb, box, samples)
    except GmailError as exc:
        return await page(request, error=exc.user_message, status_code=502)
    return render(
        request,
        "labels/preview.html",
        {"preview": result, "found": found, "examples": examples, "first": _first_time(found)},
    )


def _first_time(found: labels.Availability) -> bool:
    """Labels never ran for this mailbox (no label ids known; turning off keeps them): the
    preview must be seen before enabling."""
    job = found.job
    return job is None or (not job.enabled and not job.label_ids)


NO_SUCH_MESSAGE = "No message with that id in your mailbox."


async def explain_page(request: Request) -> Response:
    _, box = await _mine(request)
    ctx = ctx_of(request)
    message_id = request.query_params.get("message", "").strip()
    contact = request.query_params.get("contact", "").strip()
    result, error, status = None, None, 200
    if message_id:
        if not message_id.isalnum() or len(message_id) > 32:
            raise HTTPException(
                400, NO_SUCH_MESSAGE + " (a Gmail message id is letters and digits)."
            )
        try:
            result = await explain_message(
                ctx, _client(request, box), box.id, message_id, viewer=require_user(request)
            )
        except (NotFound, BadRequest):
            # The id was typed or pasted by the person: an unknown (404) or malformed (400)
            # id is their mistake, not Gmail failing, so say so with a 4xx.
            error, status = NO_SUCH_MESSAGE, 404
        except GmailError as exc:
            error, status = exc.user_message, 502
    elif contact:
        if not contact.isdigit():
            raise HTTPException(400, "That is not a contact id.")
        result = await explain_contact(ctx, box.id, int(contact), viewer=require_user(request))
        if result is None:
            raise HTTPException(404, "There is no such contact.")
    return render(
        request,
        "labels/explain.html",
        {
            "result": result,
            "error": error,
            "message_id": message_id,
            "contact": contact,
        },
        status_code=status,
    )


def _thread_row(thread: dict[str, Any]) -> dict[str, Any]:
    messages = thread.get("messages") or [{}]
    last = messages[-1]
    return {
        "id": thread.get("id"),
        "subject": header(last, "Subject") or "(no subject)",
        "sender": header(last, "From"),
        "date": header(last, "Date"),
        "count": len(messages),
    }


async def view(request: Request) -> Response:
    """The Gmail label view: counts for the three labels, threads of the chosen one."""
    found, box = await _mine(request)
    ctx = ctx_of(request)
    names = label_names(ctx.settings.label_names)
    chosen = _KEYS.get(request.query_params.get("label", ""), ORDER[0])
    token = request.query_params.get("page") or None
    ids = dict(found.job.label_ids) if found.job else {}
    mb = _client(request, box)
    counts: dict[str, int | None] = {}
    threads: list[dict[str, Any]] = []
    next_page, error = None, None
    try:
        if len(ids) < len(ORDER):
            existing = {
                str(x.get("name", "")).casefold(): str(x["id"]) for x in await mb.list_labels()
            }
            ids.update(
                {
                    c: existing[names[c].casefold()]
                    for c in ORDER
                    if c not in ids and names[c].casefold() in existing
                }
            )
        # Exact counts from labels.get (1 unit each), fetched together with the chosen
        # label's first page rather than one after another.
        present = [c for c in ORDER if c in ids]
        listing = (
            mb.list_threads(label_ids=[ids[chosen]], page_token=token, max_results=THREADS_PER_PAGE)
            if chosen in ids
            else None
        )
        answers = await asyncio.gather(
            *(mb.get_label(ids[c]) for c in present), *([listing] if listing else [])
        )
        for c, label in zip(present, answers, strict=False):
            counts[c.value] = int(label.get("threadsTotal", 0))
        if listing is not None:
            listed = answers[-1]
            next_page = listed.get("nextPageToken")
            wanted = [str(t["id"]) for t in listed.get("threads", [])]
            got = await mb.batch_get_threads(
                wanted,
                format="metadata",
                metadata_headers=["From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID"],
            )
            # The panel's gate judges each thread, as on every path that shows mail.
            gate = await open_mailbox(ctx, require_user(request), box.id)
            threads = [
                _thread_row(t)
                for t in got.values()
                if isinstance(t, dict) and gate.judge(thread_meta(box.id, t)).shown
            ]
    except GmailError as exc:
        error = exc.user_message
    return render(
        request,
        "labels/view.html",
        {
            "found": found,
            "order": ORDER,
            "names": names,
            "titles": TITLES,
            "counts": counts,
            "chosen": chosen,
            "threads": threads,
            "next_page": next_page,
            "error": error,
        },
    )


routes: list[BaseRoute] = [
    Route("/settings/labels", page, name="labels"),
    Route("/settings/labels/enable", enable, methods=["POST"]),
    Route("/settings/labels/disable", disable, methods=["POST"]),
    Route("/settings/labels/inbox-mode", inbox_mode, methods=["POST"]),
    Route("/settings/labels/undo", confirm_undo),
    Route("/settings/labels/undo", undo, methods=["POST"]),
    Route("/settings/labels/preview", preview_page),
    Route("/settings/labels/explain", explain_page),
    Route("/labels", view, name="label_view"),
]
