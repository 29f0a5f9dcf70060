"""The figures of a team mailbox: the page `/team-mailboxes/{box_id}/stats` and the JSON
`GET /api/team-mailboxes/{box_id}/stats?weeks=N` (a session, or an API token with `mail:read`:
web/guard/scopes.py). Members only, through `access.open_box` as every team mailbox page: a
non-member, a former member or a member of another team gets 404 and learns nothing. The
figures are durations and counts from gpanel's own records (services.team_mailboxes.stats)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.team_mailboxes import stats
from gpanel.services.team_mailboxes.access import Access, open_box
from gpanel.services.team_mailboxes.model import TeamError
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


def _weeks(request: Request) -> int:
    raw = request.query_params.get("weeks", str(stats.DEFAULT_WEEKS))
    if not raw.isdigit() or not 1 <= int(raw) <= stats.MAX_WEEKS:
        raise ValueError(f"weeks must be a whole number from 1 to {stats.MAX_WEEKS}.")
    return int(raw)


async def _access(request: Request) -> Access:
    return await open_box(
        ctx_of(request), require_user(request), int(request.path_params["box_id"])
    )


def duration(seconds: float | None) -> str:
    """A duration in words for the page: "—", "12 min", "3.5 h", "2.1 d"."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{max(0, round(seconds / 60))} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


async def stats_page(request: Request) -> Response:
    try:
        access = await _access(request)
        weeks = _weeks(request)
    except TeamError as exc:
        raise HTTPException(exc.status, exc.message) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    figures = await stats.team_figures(ctx_of(request), access, weeks=weeks)
    return render(
        request,
        "team_mailboxes/stats.html",
        {"box": access.box, "figures": figures, "duration": duration, "weeks": weeks},
    )


async def stats_api(request: Request) -> Response:
    try:
        access = await _access(request)
        weeks = _weeks(request)
    except TeamError as exc:
        return JSONResponse(
            {"errors": [{"field": "", "message": exc.message}]}, status_code=exc.status
        )
    except ValueError as exc:
        return JSONResponse({"errors": [{"field": "weeks", "message": str(exc)}]}, 422)
    figures = await stats.team_figures(ctx_of(request), access, weeks=weeks)
    return JSONResponse(figures.as_json())


routes: list[BaseRoute] = [
    Route("/team-mailboxes/{box_id:int}/stats", stats_page, methods=["GET"]),
    Route("/api/team-mailboxes/{box_id:int}/stats", stats_api, methods=["GET"]),
]
