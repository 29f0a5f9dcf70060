"""Errors rendered by status: an HTML page for people, JSON for API clients.

Handlers raise `starlette.exceptions.HTTPException`, turning domain errors (`RecordNotFound`,
`Forbidden`, ...) into a status themselves; this module decides how it looks. Unexpected
exceptions are logged with a short reference that the page shows, never with request bodies
or mail content.
"""

from __future__ import annotations

import logging
import secrets

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from gpanel.web.templating import render

log = logging.getLogger("gpanel.web")

_TITLES = {
    400: "That request did not make sense",
    401: "Please sign in",
    403: "You do not have access to this",
    404: "Not found",
    405: "Method not allowed",
    409: "That conflicts with what is there",
    422: "Some fields need attention",
    429: "Too many requests, slow down a little",
    500: "Something went wrong on our side",
    502: "Google did not answer as expected",
    503: "Temporarily unavailable",
}


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def error_response(request: Request, status: int, detail: str, ref: str | None = None) -> Response:
    title = _TITLES.get(status, "Error")
    if wants_json(request):
        body: dict[str, object] = {"error": {"status": status, "title": title, "detail": detail}}
        if ref:
            body["error"] = {**body["error"], "reference": ref}  # type: ignore[dict-item]
        return JSONResponse(body, status_code=status)
    template = "errors/404.html" if status == 404 else "errors/error.html"
    return render(
        request,
        template,
        {"status": status, "title": title, "detail": detail, "ref": ref},
        status_code=status,
    )


def install_error_handlers(app: Starlette) -> None:
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        sign_in = (exc.headers or {}).get("X-Sign-In")
        if exc.status_code == 401 and sign_in and not wants_json(request):
            return RedirectResponse(sign_in, status_code=303)
        resp = error_response(request, exc.status_code, str(exc.detail or ""))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    async def on_crash(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        # Log the type and where, not the message: exception text can quote mail content.
        log.error(
            "unhandled %s on %s %s (ref %s)",
            type(exc).__name__,
            request.method,
            request.url.path,
            ref,
            exc_info=(type(exc), exc, exc.__traceback__)
            if log.isEnabledFor(logging.DEBUG)
            else None,
        )
        return error_response(request, 500, "The error was logged with a reference.", ref)

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
