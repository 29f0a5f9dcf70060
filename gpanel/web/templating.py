"""The Jinja2 environment for gpanel's pages, and where the web layer's files live.

Templates render data; they do no I/O.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _static_dir() -> Path:
    # The stylesheets and scripts live in the repository's top-level static/. The wheel ships
    # them inside the package as gpanel/static (setup.py maps the directory there), so an
    # installed gpanel finds them beside its modules and a source checkout at its root.
    installed = PACKAGE_DIR / "static"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "static"


STATIC_DIR = _static_dir()


def _request_context(request: Request) -> dict[str, Any]:
    # Every page knows who is looking (for the navigation) and the session's CSRF token (for
    # its forms); both were put on request.state by middleware, never looked up here.
    return {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }


def utc_iso(value: dt.datetime | dt.date) -> str:
    """A time for `<time datetime>` that static/localtime.js can read unambiguously: aware and
    in UTC (SQLite hands timezone-aware columns back naive; they were written in UTC). A date
    stays a date."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_request_context])
templates.env.filters["utc_iso"] = utc_iso


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
