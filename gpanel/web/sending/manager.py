"""The template manager page: `/templates`, a user's own templates and those shared with their
team, by folder, each a draft or published; create, edit and delete (the owner or an admin);
an admin or a manager shares one with a team (a manager only with their own) or, an admin,
with every team. Plain forms with the CSRF token (no script); every rule is the service's
(services/sending/templates.py), the same as `/api/templates`.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gpanel.services.accounts.sessions import CurrentUser, list_teams
from gpanel.services.sending import templates
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


def _body(form: FormData, viewer: CurrentUser) -> dict[str, Any]:
    body: dict[str, Any] = {
        key: str(form.get(key, "")) for key in ("name", "folder", "subject", "text", "html")
    }
    body["status"] = "published" if form.get("status") == "published" else "draft"
    share = str(form.get("share", ""))
    if viewer.role in templates.SHARERS or share:
        if share == "":
            body["shared"] = False
        elif share == "all":
            body["shared"], body["team_id"] = True, None
        else:
            body["shared"], body["team_id"] = True, int(share) if share.isdigit() else share
    return body


async def _page(
    request: Request,
    viewer: CurrentUser,
    editing: templates.Template | None = None,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    ctx = ctx_of(request)
    found = await templates.list_templates(ctx.engine, viewer)
    folders = [(name, list(items)) for name, items in groupby(found, key=lambda t: t.folder)]
    teams = await list_teams(ctx.engine) if viewer.role in templates.SHARERS else []
    if viewer.role == "manager":
        teams = [t for t in teams if t.id == viewer.team_id]
    return render(
        request,
        "sending/templates.html",
        {
            "folders": folders,
            "editing": editing,
            "errors": errors or [],
            "teams": teams,
            "may_share": viewer.role in templates.SHARERS,
            "may_share_all": viewer.is_admin,
            "notice": request.query_params.get("notice"),
        },
        status_code=status,
    )


async def index(request: Request) -> Response:
    viewer = require_user(request)
    if request.method == "GET":
        return await _page(request, viewer)
    async with request.form() as form:
        body = _body(form, viewer)
    try:
        await templates.create_template(ctx_of(request).engine, viewer, body)
    except templates.TemplateRefused as exc:
        return await _page(request, viewer, errors=exc.errors, status=exc.status)
    return RedirectResponse("/templates?notice=created", status_code=303)


async def _editable(request: Request, viewer: CurrentUser) -> templates.Template:
    try:
        found = await templates.get_template(
            ctx_of(request).engine, viewer, int(request.path_params["template_id"])
        )
    except templates.TemplateRefused:
        raise HTTPException(404, "No such template.") from None
    if found.owner_id != viewer.id and not viewer.is_admin:
        raise HTTPException(403, "Only its owner or an admin changes a template.")
    return found


async def one(request: Request) -> Response:
    viewer = require_user(request)
    found = await _editable(request, viewer)
    if request.method == "GET":
        return await _page(request, viewer, editing=found)
    async with request.form() as form:
        body = _body(form, viewer)
    try:
        await templates.update_template(ctx_of(request).engine, viewer, found.id, body)
    except templates.TemplateRefused as exc:
        return await _page(request, viewer, editing=found, errors=exc.errors, status=exc.status)
    return RedirectResponse("/templates?notice=saved", status_code=303)


async def remove(request: Request) -> Response:
    viewer = require_user(request)
    found = await _editable(request, viewer)
    await templates.delete_template(ctx_of(request).engine, viewer, found.id)
    return RedirectResponse("/templates?notice=deleted", status_code=303)
