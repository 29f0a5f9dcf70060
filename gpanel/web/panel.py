"""The record panel on the web: the HTML fragment record pages load, a full page without
JavaScript, the embeddable page CRMs frame, the JSON API, and the actions (unlink, private,
block, "why isn't my email here?") as JSON endpoints and as plain form posts.

Handlers are thin: who is asking (`require_user`), what they ask, then `services.panel`,
`services.unlinks` or `services.panel_why`, which enforce the policy. Every POST is covered
by the CSRF middleware (form field or `X-CSRF-Token`). Thread rows link to the thread view,
`/records/{type}/{id}/threads/{mailbox_id}/{thread_id}`, which the thread view module serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.services.accounts.redirects import safe_next
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.panel import unlinks
from gpanel.services.panel import why as panel_why
from gpanel.services.panel.view import (
    BadPageToken,
    PanelView,
    record_threads,
    record_threads_parts,
)
from gpanel.services.records import access as records
from gpanel.web.guard.viewer import ctx_of, require_user, viewer_of
from gpanel.web.templating import render, templates

# Ends each part of a streamed panel: static/panel.js shows every part as soon as its marker
# arrives; in a streamed page, CSS shows only the last part so far (static/panel.css).
PART_END = "<!--/panel-part-->"
PARTS_SLOT = "<!--panel-parts-->"


def _record(request: Request) -> tuple[RecordType, int]:
    """The record a panel URL names: its type by the singular (`/records/deal/7/panel`)."""
    try:
        kind = RecordType(str(request.path_params["type"]))
    except ValueError:
        raise HTTPException(404, "There is no such kind of record.") from None
    return kind, int(request.path_params["id"])


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in ("1", "true", "yes", "on")


async def _view(request: Request, viewer: CurrentUser) -> PanelView:
    kind, record_id = _record(request)
    try:
        return await record_threads(
            ctx_of(request),
            viewer,
            kind,
            record_id,
            include_company=_flag(request, "company"),
            page=request.query_params.get("page") or None,
        )
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None
    except BadPageToken as exc:
        raise HTTPException(400, str(exc)) from None


async def _parts(request: Request, viewer: CurrentUser) -> AsyncIterator[PanelView]:
    """The panel as it arrives (`record_threads_parts`, progressive). The first part is
    awaited here, so access errors still answer 403/404 before any byte is sent."""
    kind, record_id = _record(request)
    parts = record_threads_parts(
        ctx_of(request),
        viewer,
        kind,
        record_id,
        include_company=_flag(request, "company"),
        page=request.query_params.get("page") or None,
        progressive=True,
    )
    try:
        first = await anext(parts)
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None
    except BadPageToken as exc:
        raise HTTPException(400, str(exc)) from None

    async def rest() -> AsyncIterator[PanelView]:
        yield first
        async for part in parts:
            yield part

    return rest()


def _html(request: Request, name: str, context: dict[str, Any]) -> str:
    """A template rendered to text, with what `render` gives every page (viewer, CSRF)."""
    return templates.get_template(name).render(
        {
            "request": request,
            "viewer": getattr(request.state, "viewer", None),
            "csrf_token": getattr(request.state, "csrf_token", ""),
            **context,
        }
    )


def _part_html(request: Request, view: PanelView, **extra: Any) -> str:
    body = _html(request, "panel/_list.html", _context(request, view, **extra))
    return f'<div class="panel-part">{body}</div>{PART_END}\n'


def _streamed(
    request: Request, head: str, views: AsyncIterator[PanelView], tail: str, **extra: Any
) -> StreamingResponse:
    async def body() -> AsyncIterator[str]:
        yield head
        async for view in views:
            yield _part_html(request, view, **extra)
        yield tail

    return StreamingResponse(body(), media_type="text/html; charset=utf-8")


def _context(request: Request, view: PanelView, **extra: Any) -> dict[str, Any]:
    kind, record_id = view.record_type, view.record_id
    base = base_path(view)
    company = _flag(request, "company")
    return {
        "view": view,
        "kind": kind,
        "record_id": record_id,
        "record_url": f"/{kind.plural}/{record_id}",
        "panel_url": base,
        "company": company,
        "more_url": (f"{base}?page={quote(view.next_page)}" + ("&company=1" if company else ""))
        if view.next_page
        else None,
        "embed": False,
        "back": f"/{kind.plural}/{record_id}",
        "undo": request.query_params.get("undo", ""),
        "flash": request.query_params.get("done", ""),
        **extra,
    }


def base_path(view: PanelView) -> str:
    return f"/records/{view.record_type}/{view.record_id}/panel"


async def panel(request: Request) -> Response:
    """The fragment (`?fragment=1`, what panel.js loads) or a full page (no JavaScript)."""
    viewer = require_user(request)
    if (
        _flag(request, "fragment")
        and _flag(request, "stream")
        and "page" not in request.query_params
    ):
        # First rows at once: each mailbox's rows as soon as it answers, then the final list.
        return _streamed(request, "", await _parts(request, viewer), "")
    view = await _view(request, viewer)
    if _flag(request, "fragment"):
        rows_only = bool(request.query_params.get("page"))
        return render(request, "panel/_list.html", _context(request, view, rows_only=rows_only))
    return render(request, "panel/page.html", _context(request, view, back=base_path(view)))


async def embed(request: Request) -> Response:
    """The panel alone, for CRMs to frame (frame-ancestors comes from settings)."""
    if viewer_of(request) is None:
        # Google's sign-in page refuses to be framed, so sign-in happens in a tab of its own;
        # the frame shows the panel once reloaded (the session cookie is SameSite=Lax, so
        # gpanel must be served from the same site as the CRM that frames it).
        return render(
            request, "panel/embed_signin.html", {"next": request.url.path}, status_code=401
        )
    viewer = require_user(request)
    kind, record_id = _record(request)
    if request.query_params.get("page"):
        view = await _view(request, viewer)
        back = f"/embed/{kind}/{record_id}"
        return render(request, "panel/embed.html", _context(request, view, embed=True, back=back))
    # Streamed: the page's head and frame first, each mailbox's rows as it answers, the final
    # list last (the browser renders as it parses; CSS hides the parts a later one replaced).
    parts = await _parts(request, viewer)
    shell = PanelView(kind, record_id)
    back = f"/embed/{kind}/{record_id}"
    page = _html(
        request,
        "panel/embed.html",
        _context(request, shell, embed=True, back=back, streamed=PARTS_SLOT),
    )
    head, _, tail = page.partition(PARTS_SLOT)
    return _streamed(request, head, parts, tail, embed=True, back=back)


def row_json(view: PanelView) -> dict[str, Any]:
    rows = []
    for r in view.rows:
        row = asdict(r)
        row["detail"] = r.detail.value
        row["last_at"] = r.last_at.isoformat()
        row["participants"] = [asdict(p) for p in r.participants]
        rows.append(row)
    return {
        "record": {"type": view.record_type.value, "id": view.record_id},
        "threads": rows,
        "notices": [asdict(n) for n in view.notices],
        "searched": view.searched,
        "next_page": view.next_page,
        "no_addresses": view.no_addresses,
    }


async def api_threads(request: Request) -> Response:
    viewer = require_user(request)
    return JSONResponse(row_json(await _view(request, viewer)))


# --- actions ---------------------------------------------------------------------------------
async def _fields(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, "The body is not JSON.") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "The body must be a JSON object.")
        return body
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _int(fields: dict[str, Any], name: str) -> int:
    try:
        return int(fields[name])
    except (KeyError, TypeError, ValueError):
        raise HTTPException(422, f"{name} must be a number.") from None


def _str(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HTTPException(422, f"{name} is required.")
    return value.strip()


def _yes(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


async def _act(request: Request, action: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Run one panel action for the signed-in user; returns what happened (for JSON)."""
    viewer = require_user(request)
    ctx = ctx_of(request)
    kind, record_id = _record(request)
    try:
        if action in ("unlink", "relink"):
            mailbox_id, thread_id = _int(fields, "mailbox_id"), _str(fields, "thread_id")
            fn = unlinks.unlink if action == "unlink" else unlinks.relink
            await fn(ctx, viewer, kind, record_id, mailbox_id, thread_id)
            return {"ok": True, "mailbox_id": mailbox_id, "thread_id": thread_id}
        if action == "private":
            mailbox_id, thread_id = _int(fields, "mailbox_id"), _str(fields, "thread_id")
            private = _yes(fields.get("private", True))
            await unlinks.set_private(ctx, viewer, mailbox_id, thread_id, private)
            return {"ok": True, "private": private}
        if action == "block":
            made = await unlinks.block(
                ctx, viewer, _str(fields, "pattern"), org_wide=_yes(fields.get("org_wide", False))
            )
            return {"ok": True, "block": asdict(made)}
        raise HTTPException(404, "No such action.")
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except unlinks.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except unlinks.InvalidInput as exc:
        raise HTTPException(422, str(exc)) from None


async def api_action(request: Request) -> Response:
    return JSONResponse(await _act(request, request.path_params["action"], await _fields(request)))


def _back(kind: RecordType, record_id: int, value: Any) -> str:
    return safe_next(value, fallback=f"/{kind.plural}/{record_id}")


async def form_action(request: Request) -> Response:
    """The same actions as plain form posts; answers with a redirect back to the record."""
    fields = await _fields(request)
    action = request.path_params["action"]
    kind, record_id = _record(request)
    await _act(request, action, fields)
    target = _back(kind, record_id, fields.get("back"))
    sep = "&" if "?" in target else "?"
    if action == "unlink":
        target += f"{sep}undo={_int(fields, 'mailbox_id')}:{quote(_str(fields, 'thread_id'))}"
    else:
        target += f"{sep}done={action}"
    return RedirectResponse(target, status_code=303)


async def _why(request: Request) -> panel_why.WhyAnswer:
    viewer = require_user(request)
    kind, record_id = _record(request)
    fields = await _fields(request)
    text = str(fields.get("q", ""))[:2000]
    try:
        return await panel_why.explain(
            ctx_of(request),
            viewer,
            kind,
            record_id,
            text,
            include_company=_yes(fields.get("company", False)),
        )
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None


async def api_why(request: Request) -> Response:
    answer = await _why(request)
    body = asdict(answer)
    body["findings"] = [{**asdict(f), "reason": f.reason.value} for f in answer.findings]
    return JSONResponse(body)


async def form_why(request: Request) -> Response:
    answer = await _why(request)
    kind, record_id = _record(request)
    context = {
        "answer": answer,
        "kind": kind,
        "record_id": record_id,
        "record_url": f"/{kind.plural}/{record_id}",
    }
    if _flag(request, "fragment"):
        return render(request, "panel/_why.html", context)
    return render(request, "panel/why.html", context)


async def api_blocks(request: Request) -> Response:
    viewer = require_user(request)
    ctx = ctx_of(request)
    if request.method == "POST":
        fields = await _fields(request)
        try:
            made = await unlinks.block(
                ctx, viewer, _str(fields, "pattern"), org_wide=_yes(fields.get("org_wide", False))
            )
        except unlinks.NotAllowed as exc:
            raise HTTPException(403, str(exc)) from None
        except unlinks.InvalidInput as exc:
            raise HTTPException(422, str(exc)) from None
        return JSONResponse(asdict(made), status_code=201)
    return JSONResponse({"blocks": [asdict(b) for b in await unlinks.list_blocks(ctx, viewer)]})


async def api_unblock(request: Request) -> Response:
    viewer = require_user(request)
    try:
        await unlinks.unblock(ctx_of(request), viewer, int(request.path_params["block_id"]))
    except unlinks.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    return Response(status_code=204)


_R = "/records/{type:str}/{id:int}"
routes: list[BaseRoute] = [
    Route(_R + "/panel", panel, name="record_panel"),
    Route(_R + "/panel/why", form_why, methods=["POST"]),
    Route(_R + "/panel/{action:str}", form_action, methods=["POST"]),
    Route("/embed/{type:str}/{id:int}", embed, name="record_panel_embed"),
    Route("/api" + _R + "/threads", api_threads),
    Route("/api" + _R + "/why", api_why, methods=["POST"]),
    Route("/api" + _R + "/panel/{action:str}", api_action, methods=["POST"]),
    Route("/api/blocks", api_blocks, methods=["GET", "POST"]),
    Route("/api/blocks/{block_id:int}", api_unblock, methods=["DELETE"]),
]
