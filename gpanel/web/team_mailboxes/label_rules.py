"""The admin's label rules by recipient of a team mailbox: `/team-mailboxes/{box_id}/label-rules`
lists them with a form to add one ("mail to <address> gets label <name>") and a Remove button
each. Admins only (`access.manage_box`); adding one asks the scheduler in this process to run
the mailbox's background pass now (`job_state.trigger`), which finds or creates the label in
Gmail and labels the matching mail (services.team_mailboxes.extras)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.ops import job_state
from gpanel.services.team_mailboxes import extras, recipient_rules
from gpanel.services.team_mailboxes.access import manage_box
from gpanel.services.team_mailboxes.model import TeamError, TeamMailbox
from gpanel.web.guard.viewer import ctx_of, require_admin
from gpanel.web.templating import render


async def _box(request: Request) -> TeamMailbox:
    ctx, admin = ctx_of(request), require_admin(request)
    try:
        return await manage_box(ctx, admin, int(request.path_params["box_id"]))
    except TeamError as exc:
        raise HTTPException(exc.status, exc.message) from None


async def rules_page(request: Request, **extra: object) -> Response:
    box = await _box(request)
    ctx = ctx_of(request)
    async with ctx.engine.connect() as conn:
        rules = await recipient_rules.list_rules(conn, box.id)
    state = await extras.get_state(ctx.engine, box.id)
    status = int(str(extra.pop("status_code", 200)))
    return render(
        request,
        "team_mailboxes/label_rules.html",
        {
            "box": box,
            "rules": rules,
            "state": state,
            "notice": request.query_params.get("notice"),
            **extra,
        },
        status_code=status,
    )


async def add(request: Request) -> Response:
    box = await _box(request)
    ctx, admin = ctx_of(request), require_admin(request)
    form = await request.form()
    address, label = str(form.get("address", "")), str(form.get("label_name", ""))
    try:
        await recipient_rules.add_rule(ctx.engine, box.id, address, label, created_by=admin.id)
    except recipient_rules.InvalidRule as exc:
        return await rules_page(
            request, error=str(exc), address=address, label_name=label, status_code=422
        )
    await job_state.trigger(ctx, extras.JOB, box.mailbox_id)
    return RedirectResponse(f"/team-mailboxes/{box.id}/label-rules?notice=added", 303)


async def remove(request: Request) -> Response:
    box = await _box(request)
    ctx = ctx_of(request)
    done = await recipient_rules.remove_rule(
        ctx.engine, box.id, int(request.path_params["rule_id"])
    )
    if not done:
        raise HTTPException(404, "No such rule.")
    return RedirectResponse(f"/team-mailboxes/{box.id}/label-rules?notice=removed", 303)


_RULES = "/team-mailboxes/{box_id:int}/label-rules"
routes: list[BaseRoute] = [
    Route(_RULES, rules_page, methods=["GET"]),
    Route(_RULES, add, methods=["POST"]),
    Route(_RULES + "/{rule_id:int}/remove", remove, methods=["POST"]),
]
