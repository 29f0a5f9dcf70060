"""Each rep's sharing settings: who sees their mail on records, and how much of it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import (
    AUDIENCE_WORDS,
    DETAIL_WORDS,
    Audience,
    Detail,
    Sharing,
    allowed_audiences,
    allowed_details,
    editable,
    shown_table,
)
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


async def page(request: Request, error: str | None = None, saved: bool = False) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    current, policy = await sharing.my_sharing(ctx.engine, user.id, user.role)
    people, groups = await sharing.share_choices(ctx.engine, user.id)
    return render(
        request,
        "sharing.html",
        {
            "current": current,
            "audiences": allowed_audiences(policy.audience),
            "details": allowed_details(policy.detail),
            "audience_words": AUDIENCE_WORDS,
            "detail_words": DETAIL_WORDS,
            "shown_table": shown_table(),
            "audience_editable": editable(policy.audience),
            "detail_editable": editable(policy.detail),
            "people": people,
            "groups": groups,
            "error": error,
            "saved": saved,
        },
        status_code=400 if error else 200,
    )


async def save(request: Request) -> Response:
    ctx, user = ctx_of(request), require_user(request)
    form = await request.form()
    try:
        choice = Sharing(
            audience=Audience(str(form.get("audience", ""))),
            detail=Detail(str(form.get("detail", ""))),
            users=frozenset(int(str(v)) for v in form.getlist("users")),
            teams=frozenset(int(str(v)) for v in form.getlist("teams")),
        )
        await sharing.save_sharing(ctx.engine, user.id, user.role, choice)
    except ValueError:
        return await page(request, error="Choose who may see your mail and how much of it.")
    except sharing.SharingRefused as exc:
        return await page(request, error=str(exc))
    return RedirectResponse("/settings/sharing?saved=1", status_code=303)


async def get_page(request: Request) -> Response:
    return await page(request, saved=request.query_params.get("saved") == "1")


routes: list[BaseRoute] = [
    Route("/settings/sharing", get_page, name="sharing"),
    Route("/settings/sharing", save, methods=["POST"], name="sharing_save"),
]
