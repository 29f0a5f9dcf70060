"""Sign in with Google, and sign out.

`/auth/login` shows the sign-in page; `/auth/google` starts Google's flow (the state and PKCE
verifier go into a signed, ten-minute cookie); `/auth/callback` finishes it, admits the person
(`services.accounts.sign_in`) and sets the session cookie. Handlers only translate between
HTTP and the services.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import sessions as accounts
from gpanel.services.accounts.google_oauth import FLOW_COOKIE, FLOW_MAX_AGE, OAuthFlowError
from gpanel.services.accounts.redirects import safe_next
from gpanel.web.guard.session import SESSION_COOKIE, SESSION_MAX_AGE
from gpanel.web.guard.viewer import ctx_of, viewer_of
from gpanel.web.templating import render


def _secure(request: Request) -> bool:
    return ctx_of(request).settings.base_url.startswith("https://")


def set_flow_cookie(request: Request, response: Response, value: str, path: str) -> None:
    response.set_cookie(
        FLOW_COOKIE,
        value,
        max_age=FLOW_MAX_AGE,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        path=path,
    )


async def login_page(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if viewer_of(request) is not None:
        return RedirectResponse(next_path, status_code=303)
    return render(request, "auth/login.html", {"next": next_path})


async def start_google(request: Request) -> Response:
    ctx = ctx_of(request)
    start = ctx.oauth.start(
        "signin",
        next_path=safe_next(request.query_params.get("next")),
        login_hint=request.query_params.get("login_hint"),
    )
    response = RedirectResponse(start.url, status_code=303)
    set_flow_cookie(request, response, start.cookie, "/auth/")
    return response


async def callback(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        result = await ctx.oauth.finish(
            "signin", request.cookies.get(FLOW_COOKIE), dict(request.query_params)
        )
        _, session_id = await accounts.sign_in(ctx.engine, ctx.settings, result.email, result.name)
    except (OAuthFlowError, accounts.SignInRefused) as exc:
        response = render(
            request,
            "auth/login.html",
            {"error": str(exc), "next": "/"},
            status_code=400 if isinstance(exc, OAuthFlowError) else 403,
        )
        response.delete_cookie(FLOW_COOKIE, path="/auth/")
        return response
    done = RedirectResponse(result.next_path, status_code=303)
    done.delete_cookie(FLOW_COOKIE, path="/auth/")
    done.set_cookie(
        SESSION_COOKIE,
        request.app.state.session_codec.dumps(session_id),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        path="/",
    )
    return done


async def logout(request: Request) -> Response:
    session_id = getattr(request.state, "session_id", None)
    if session_id:
        await accounts.sign_out(ctx_of(request).engine, session_id)
    response = RedirectResponse("/auth/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


routes: list[BaseRoute] = [
    Route("/auth/login", login_page, name="login"),
    Route("/auth/google", start_google, name="login_google"),
    Route("/auth/callback", callback, name="auth_callback"),
    Route("/auth/logout", logout, methods=["POST"], name="logout"),
]
