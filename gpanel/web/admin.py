"""Admin pages: people and roles, who may use which feature, the sharing policy, and every
mailbox's diagnostics."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.accounts import disconnect, mailboxes
from gpanel.services.accounts import sessions as accounts
from gpanel.services.ops import diagnostics
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Audience, Detail, Feature, Rule, RuleMode
from gpanel.web.guard.viewer import ctx_of, require_admin
from gpanel.web.templating import render

FEATURE_WORDS = {
    Feature.CONNECT_GMAIL: "Connect Gmail",
    Feature.MAILMAGNET: "MailMagnet notifications",
    Feature.LABELS: "Category labels (moves labelled mail out of the inbox)",
}


# What the sharing dropdowns say, in the words an admin thinks in (the stored values are
# identifiers such as `record_access`).
OPTION_WORDS = {
    Audience.PRIVATE: "Only the owner",
    Audience.SELECTED: "People and teams the owner picks",
    Audience.RECORD_ACCESS: "Everyone who can open the record",
    Detail.METADATA: "Participants and times only",
    Detail.SUBJECT: "Subjects, participants and times",
    Detail.FULL: "Full messages",
}
ROLE_WORDS = {"admin": "Admin", "manager": "Manager", "rep": "Rep"}


async def overview(request: Request, error: str | None = None) -> Response:
    ctx = ctx_of(request)
    require_admin(request)
    rules = await sharing.role_rules(ctx.engine)
    people = await accounts.list_people(ctx.engine)
    boxes = await mailboxes.all_mailboxes(ctx.engine)
    roles = {p.id: p.role for p in people}
    withdrawn = await sharing.gmail_withdrawn_for(
        ctx.engine, [(b.user_id, roles.get(b.user_id, "rep")) for b, _ in boxes]
    )
    return render(
        request,
        "admin/index.html",
        {
            "people": people,
            "teams": await accounts.list_teams(ctx.engine),
            "roles": accounts.ROLES,
            "features": list(Feature),
            "feature_words": FEATURE_WORDS,
            "option_words": OPTION_WORDS,
            "role_words": ROLE_WORDS,
            "role_features": rules.features,
            "role_sharing": rules.sharing,
            "audiences": list(Audience),
            "details": list(Detail),
            "mailboxes": boxes,
            "withdrawn": withdrawn,
            "error": error,
            "quota": {b.id: diagnostics.quota_snapshot(ctx, b)[0] for b, _ in boxes},
        },
        status_code=400 if error else 200,
    )


async def add_person(request: Request) -> Response:
    ctx = ctx_of(request)
    require_admin(request)
    form = await request.form()
    try:
        team = str(form.get("team_id") or "")
        await accounts.add_person(
            ctx.engine,
            str(form.get("email", "")),
            str(form.get("name", "")),
            str(form.get("role", "rep")),
            int(team) if team else None,
        )
    except (ValueError, accounts.PersonRefused) as exc:
        return await overview(request, error=str(exc))
    return RedirectResponse("/admin", status_code=303)


async def confirm_delete(request: Request) -> Response:
    """Say what deleting a person does (their mailbox is disconnected and everything gpanel
    kept for it forgotten) and ask; the form posts the delete action."""
    ctx = ctx_of(request)
    acting = require_admin(request)
    user_id = int(request.path_params["user_id"])
    person = next((p for p in await accounts.list_people(ctx.engine) if p.id == user_id), None)
    if person is None:
        raise HTTPException(404, "There is no such person.")
    if user_id == acting.id:
        return await overview(request, error="You cannot delete yourself; ask another admin.")
    box = await mailboxes.for_user(ctx.engine, user_id)
    return render(request, "admin/delete.html", {"person": person, "mailbox": box})


async def update_person(request: Request) -> Response:
    ctx = ctx_of(request)
    acting = require_admin(request)
    user_id = int(request.path_params["user_id"])
    form = await request.form()
    try:
        if form.get("action") == "delete":
            if user_id != acting.id:
                await disconnect.disconnect_user(ctx, user_id)
            await accounts.delete_person(ctx.engine, acting, user_id)
        else:
            team = str(form.get("team_id") or "")
            await accounts.update_person(
                ctx.engine,
                acting,
                user_id,
                role=str(form.get("role", "rep")),
                team_id=int(team) if team else None,
                active=form.get("active") == "on",
            )
    except (ValueError, accounts.PersonRefused) as exc:
        return await overview(request, error=str(exc))
    return RedirectResponse("/admin", status_code=303)


async def save_rules(request: Request) -> Response:
    """Per-role feature permissions and sharing rules, from one form."""
    ctx = ctx_of(request)
    require_admin(request)
    form = await request.form()
    try:
        for role in accounts.ROLES:
            for feature in Feature:
                await sharing.set_feature(
                    ctx.engine, "role", role, feature, form.get(f"{role}:{feature.value}") == "on"
                )
            for field in ("audience", "detail"):
                mode = str(form.get(f"{role}:{field}:mode", "choice"))
                value = str(form.get(f"{role}:{field}:value", "")) or None
                locked = form.get(f"{role}:{field}:locked") == "on"
                if mode == "choice" and value is None and not locked:
                    await sharing.set_rule(ctx.engine, "role", role, field, None)
                else:
                    await sharing.set_rule(
                        ctx.engine, "role", role, field, Rule(RuleMode(mode), value, locked)
                    )
    except ValueError as exc:
        return await overview(request, error=f"Those rules do not fit together: {exc}")
    return RedirectResponse("/admin", status_code=303)


async def test_mailbox(request: Request) -> Response:
    ctx = ctx_of(request)
    require_admin(request)
    box = await mailboxes.get(ctx.engine, int(request.path_params["mailbox_id"]))
    if box is None:
        raise HTTPException(404, "That mailbox is no longer connected.")
    report = await diagnostics.test_connection(ctx, box)
    return render(request, "admin/report.html", {"report": report, "mailbox": box})


routes: list[BaseRoute] = [
    Route("/admin", overview, name="admin"),
    Route("/admin/people", add_person, methods=["POST"]),
    Route("/admin/people/{user_id:int}", update_person, methods=["POST"]),
    Route("/admin/people/{user_id:int}/delete", confirm_delete),
    Route("/admin/rules", save_rules, methods=["POST"]),
    Route("/admin/mailboxes/{mailbox_id:int}/test", test_mailbox, methods=["POST"]),
]
