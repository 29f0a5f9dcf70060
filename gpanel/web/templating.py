"""The Jinja2 environment for gpanel's pages. Templates render data; they do no I/O."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from gpanel.web.paths import TEMPLATES_DIR


def _request_context(request: Request) -> dict[str, Any]:
    # Every page knows who is looking (for the navigation) and the session's CSRF token (for
    # its forms); both were put on request.state by middleware, never looked up here.
    return {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_request_context])


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
