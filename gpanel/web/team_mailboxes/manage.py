"""The admin's team mailbox pages: connect one through Google's consent (the same flow and
consent page as a personal mailbox, purpose "team"), its settings (teams, dispatchers,
options), test the connection, disconnect (which forgets all of its team data)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.google_oauth import FLOW_COOKIE, OAuthFlowError
from gpanel.services.accounts.sessions import list_people, list_teams
from gpanel.services.ops import diagnostics
from gpanel.services.team_mailboxes import connect as team_connect
from gpanel.services.team_mailboxes import store
from gpanel.services.team_mailboxes.access import manage_box, open_box
from gpanel.services.team_mailboxes.model import BANNER_CHOICES, STATUS_WORDS, TeamError
from gpanel.web.auth import set_flow_cookie
from gpanel.web.guard.viewer import ctx_of, require_admin, require_user
from gpanel.web.templating import render

COOKIE_PATH = "/team-mailboxes/"


async def _list(request: Request, **extra: object) -> Response:
    ctx = ctx_of(request)
    require_admin(request)
    status = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    return render(
        request,
        "team_mailboxes/manage.html",
        {"boxes": await store.all_boxes(ctx.engine), **extra},
        status_code=status,
    )


async def manage_page(request: Request) -> Response:
    return await _list(request, notice=request.query_params.get("notice"))


async def connect(request: Request) -> Response:
    """Start Google's consent for a team mailbox (a plain GET link, as for a personal
    mailbox: see web/mailbox/page.py on why not a form POST)."""
    ctx = ctx_of(request)
    require_admin(request)
    if request.headers.get("sec-fetch-site") == "cross-site":
        return RedirectResponse("/team-mailboxes/manage", status_code=303)
    start = ctx.oauth.start("team", next_path="/team-mailboxes/manage")
    response = RedirectResponse(start.url, status_code=303)
    set_flow_cookie(request, response, start.cookie, COOKIE_PATH)
    return response


async def callback(request: Request) -> Response:
    ctx, admin = ctx_of(request), require_admin(request)
    try:
        result = await ctx.oauth.finish(
            "team", request.cookies.get(FLOW_COOKIE), dict(request.query_params)
        )
        box = await team_connect.connect(ctx, admin, result)
    except OAuthFlowError as exc:
        response = await _list(request, error=str(exc), status_code=400)
    except TeamError as exc:
        response = await _list(request, error=exc.message, status_code=exc.status)
    else:
        response = RedirectResponse(
            f"/team-mailboxes/{box.id}/settings?notice=connected", status_code=303
        )
    response.delete_cookie(FLOW_COOKIE, path=COOKIE_PATH)
    return response


async def settings_page(request: Request, **extra: object) -> Response:
    ctx, admin = ctx_of(request), require_admin(request)
    try:
        box = await manage_box(ctx, admin, int(request.path_params["box_id"]))
    except TeamError as exc:
        raise HTTPException(exc.status, exc.message) from None
    people = [p for p in await list_people(ctx.engine) if p.active]
    status = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    return render(
        request,
        "team_mailboxes/settings.html",
        {
            "box": box,
            "teams": await list_teams(ctx.engine),
            "people": people,
            "banner_choices": BANNER_CHOICES,
            "words": STATUS_WORDS,
            "notice": request.query_params.get("notice"),
            **extra,
        },
        status_code=status,
    )


def _ids(values: list[str]) -> frozenset[int]:
    return frozenset(int(v) for v in values if str(v).isdigit())


async def save_settings(request: Request) -> Response:
    ctx, admin = ctx_of(request), require_admin(request)
    box_id = int(request.path_params["box_id"])
    form = await request.form()
    minutes = str(form.get("response_hours", "4")).strip()
    try:
        response_minutes = round(float(minutes) * 60)
    except ValueError:
        response_minutes = 0
    options = team_connect.Options(
        name=str(form.get("name", "")),
        team_ids=_ids([str(v) for v in form.getlist("team_ids")]),
        dispatcher_ids=_ids([str(v) for v in form.getlist("dispatcher_ids")]),
        members_may_take=form.get("members_may_take") == "on",
        mark_read_on_assign=form.get("mark_read_on_assign") == "on",
        archive_on_close=form.get("archive_on_close") == "on",
        lead_capture=form.get("lead_capture") == "on",
        banner_statuses=tuple(str(v) for v in form.getlist("banner_statuses")),
        response_minutes=response_minutes,
        send_as=str(form.get("send_as", "")) or None,
    )
    try:
        await team_connect.configure(ctx, admin, box_id, options)
    except TeamError as exc:
        return await settings_page(request, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/team-mailboxes/{box_id}/settings?notice=saved", status_code=303)


async def test(request: Request) -> Response:
    """Test connection: an admin or a member of the mailbox."""
    ctx, user = ctx_of(request), require_user(request)
    box_id = int(request.path_params["box_id"])
    try:
        box = (
            await manage_box(ctx, user, box_id)
            if user.is_admin
            else (await open_box(ctx, user, box_id)).box
        )
    except TeamError as exc:
        raise HTTPException(exc.status, exc.message) from None
    mailbox = await mailboxes.get(ctx.engine, box.mailbox_id)
    if mailbox is None:
        raise HTTPException(404, "No such team mailbox.")
    report = await diagnostics.test_connection(ctx, mailbox)
    return render(request, "team_mailboxes/test.html", {"box": box, "report": report})


async def confirm_disconnect(request: Request) -> Response:
    ctx, admin = ctx_of(request), require_admin(request)
    try:
        box = await manage_box(ctx, admin, int(request.path_params["box_id"]))
    except TeamError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return render(request, "team_mailboxes/disconnect.html", {"box": box})


async def disconnect(request: Request) -> Response:
    ctx, admin = ctx_of(request), require_admin(request)
    try:
        warning = await team_connect.disconnect(ctx, admin, int(request.path_params["box_id"]))
    except TeamError as exc:
        raise HTTPException(exc.status, exc.message) from None
    notice = "disconnected-local" if warning else "disconnected"
    return RedirectResponse(f"/team-mailboxes/manage?notice={notice}", status_code=303)


_BOX = "/team-mailboxes/{box_id:int}"
routes: list[BaseRoute] = [
    Route("/team-mailboxes/manage", manage_page, name="team_manage"),
    Route("/team-mailboxes/connect", connect, name="team_connect"),
    Route("/team-mailboxes/callback", callback, name="team_callback"),
    Route(_BOX + "/settings", settings_page, name="team_settings"),
    Route(_BOX + "/settings", save_settings, methods=["POST"], name="team_settings_save"),
    Route(_BOX + "/test", test, methods=["POST"], name="team_test"),
    Route(_BOX + "/disconnect", confirm_disconnect, name="team_disconnect_confirm"),
    Route(_BOX + "/disconnect", disconnect, methods=["POST"], name="team_disconnect"),
]
