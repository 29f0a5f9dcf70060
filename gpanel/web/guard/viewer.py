"""Who is asking: the signed-in user behind a request, resolved once per request.

`ViewerMiddleware` reads the session cookie, loads the session row (one query) and puts the
user on `request.state.viewer` (None when signed out); on `/api/` paths a personal API token
(`Authorization: Bearer gp_...`) identifies the user instead, so handlers and templates never parse
cookies themselves. A token is held to its scopes here, before any handler runs
(`guard.scopes`): a call outside them is answered 403 with the scope it lacks.
`require_user` / `require_admin` are what handlers call: pages redirect a
signed-out visitor to sign-in; the JSON API answers 401.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gpanel.services.accounts import api_tokens
from gpanel.services.accounts.sessions import CurrentUser, load_session
from gpanel.services.context import AppContext
from gpanel.web.guard.scopes import token_refusal
from gpanel.web.guard.security import cookie_value
from gpanel.web.guard.session import SESSION_COOKIE, SessionCodec


class ViewerMiddleware:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec) -> None:
        self.app = app
        self.codec = codec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            session_id = self.codec.loads(cookie_value(Headers(scope=scope), SESSION_COOKIE))
            viewer = None
            ctx: AppContext | None = state.get("ctx")
            if session_id and ctx is not None and not scope["path"].startswith("/static/"):
                viewer = await load_session(ctx.engine, session_id)
            elif ctx is not None and scope["path"].startswith("/api/"):
                # Systems calling the JSON API present a personal API token instead of a cookie.
                auth = Headers(scope=scope).get("authorization", "")
                if auth[:7].lower() == "bearer ":
                    grant = await api_tokens.resolve_grant(ctx.engine, auth[7:].strip())
                    if grant is not None:
                        refusal = token_refusal(scope["method"], scope["path"], grant.scopes)
                        if refusal:
                            await _refuse(refusal, scope, receive, send)
                            return
                        viewer = grant.user
            state["viewer"] = viewer
            state["session_id"] = session_id if viewer else None
        await self.app(scope, receive, send)


async def _refuse(detail: str, scope: Scope, receive: Receive, send: Send) -> None:
    body = {"error": {"status": 403, "title": "You do not have access to this", "detail": detail}}
    # RFC 6750: tell the client which kind of failure this is.
    challenge = 'Bearer error="insufficient_scope"'
    response = JSONResponse(body, status_code=403, headers={"WWW-Authenticate": challenge})
    await response(scope, receive, send)


def ctx_of(request: Request) -> AppContext:
    ctx: AppContext = request.state.ctx
    return ctx


def viewer_of(request: Request) -> CurrentUser | None:
    return getattr(request.state, "viewer", None)


class SignInRequired(HTTPException):
    """Raised for signed-out visitors; pages turn it into a redirect to sign-in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(
            401,
            "Please sign in to continue.",
            headers={"X-Sign-In": "/auth/login?next=" + quote(next_path, safe="/")},
        )


def require_user(request: Request) -> CurrentUser:
    viewer = viewer_of(request)
    if viewer is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    return viewer


def require_admin(request: Request) -> CurrentUser:
    viewer = require_user(request)
    if not viewer.is_admin:
        raise HTTPException(403, "Only admins can do this.")
    return viewer
