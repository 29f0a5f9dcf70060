"""The signed-in user's own mailbox: connect Gmail, test the connection, disconnect."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import disconnect, mailboxes
from gpanel.services.accounts.google_oauth import FLOW_COOKIE, OAuthFlowError
from gpanel.services.ops import diagnostics
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.web.auth import set_flow_cookie
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def _page(request: Request, **extra: object) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    features = await sharing.features_for(ctx.engine, user.id, user.role)
    status = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    return render(
        request,
        "mailbox/index.html",
        {
            "mailbox": box,
            "may_connect": features[Feature.CONNECT_GMAIL],
            **extra,
        },
        status_code=status,
    )


async def page(request: Request) -> Response:
    return await _page(request, notice=request.query_params.get("notice"))


async def connect(request: Request) -> Response:
    """Start Google's consent for the signed-in user's mailbox.

    A GET reached by a plain link, not a form POST: the page's CSP has `form-action 'self'`,
    and browsers apply form-action to every redirect of a form submission, so a POST answered
    with a redirect to Google's consent page is blocked (the button did nothing). Widening
    form-action to Google's origin would not be robust either (Google's own redirects among
    its hosts would have to be listed too). A GET that starts the flow is safe: it changes
    nothing in gpanel but the short-lived flow cookie, the callback is protected by the OAuth
    `state` bound to that signed HttpOnly cookie (a forged or replayed callback, or an
    attacker's own code planted in the victim's browser, fails the state check), and the
    consent itself needs the person's click at Google. A request started by another site is
    sent to the mailbox page instead, so only gpanel's own button starts the flow.
    """
    ctx, user = ctx_of(request), require_user(request)
    if request.headers.get("sec-fetch-site") == "cross-site":
        return RedirectResponse("/mailbox", status_code=303)
    features = await sharing.features_for(ctx.engine, user.id, user.role)
    if not features[Feature.CONNECT_GMAIL]:
        raise HTTPException(403, "Your admin has not allowed you to connect Gmail to gpanel.")
    start = ctx.oauth.start("connect", login_hint=user.email, next_path="/mailbox")
    response = RedirectResponse(start.url, status_code=303)
    set_flow_cookie(request, response, start.cookie, "/mailbox/")
    return response


async def callback(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    try:
        result = await ctx.oauth.finish(
            "connect", request.cookies.get(FLOW_COOKIE), dict(request.query_params)
        )
        await mailboxes.connect(ctx.engine, ctx.vault, user, result)
    except (OAuthFlowError, mailboxes.ConnectRefused) as exc:
        response = await _page(request, error=str(exc), status_code=400)
    else:
        box = await mailboxes.for_user(ctx.engine, user.id)
        if box is not None:
            ctx.tokens.forget(box.key)
        response = RedirectResponse("/mailbox?notice=connected", status_code=303)
    response.delete_cookie(FLOW_COOKIE, path="/mailbox/")
    return response


async def test(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    if box is None:
        raise HTTPException(404, "You have not connected a mailbox yet.")
    report = await diagnostics.test_connection(ctx, box)
    return await _page(request, report=report)


async def confirm_disconnect(request: Request) -> Response:
    """Say what disconnecting forgets and what it keeps, and ask (the mailbox page's
    Disconnect button leads here; nothing changes until the form below is sent)."""
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    if box is None:
        return RedirectResponse("/mailbox", status_code=303)
    return render(request, "mailbox/disconnect.html", {"mailbox": box})


async def disconnect_page(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    box = await mailboxes.for_user(ctx.engine, user.id)
    if box is None:
        return RedirectResponse("/mailbox", status_code=303)
    form = await request.form()
    forget_everything = form.get("forget") == "everything"
    warning = await disconnect.disconnect_mailbox(ctx, box.id, forget_everything=forget_everything)
    notice = "disconnected-forgotten" if forget_everything else "disconnected"
    return RedirectResponse(
        "/mailbox?notice=" + ("disconnected-local" if warning else notice), status_code=303
    )


routes: list[BaseRoute] = [
    Route("/mailbox", page, name="mailbox"),
    Route("/mailbox/connect", connect, name="mailbox_connect"),
    Route("/mailbox/callback", callback, name="mailbox_callback"),
    Route("/mailbox/test", test, methods=["POST"], name="mailbox_test"),
    Route("/mailbox/disconnect", confirm_disconnect, name="mailbox_disconnect_confirm"),
    Route("/mailbox/disconnect", disconnect_page, methods=["POST"], name="mailbox_disconnect"),
]
