"""Mail templates: gpanel's own content, written by users (so it is stored, unlike mail).

A template is personal (its owner sees it) or shared: an admin or a manager shares it with one
team or with every team. It sits in a folder (a plain name) and is a draft (its owner alone sees
it, even when shared) or published. Only the owner or an admin changes or deletes one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.accounts.sessions import CurrentUser
from gpanel.store.tables import mail_templates

STATUSES = ("draft", "published")
SHARERS = ("admin", "manager")


class TemplateRefused(Exception):
    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else "refused")
        self.status = status
        self.errors = errors


@dataclass(frozen=True)
class Template:
    id: int
    owner_id: int
    name: str
    folder: str
    status: str
    shared: bool
    team_id: int | None
    subject: str
    text: str
    html: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner_id": self.owner_id,
            "name": self.name,
            "folder": self.folder,
            "status": self.status,
            "shared": self.shared,
            "team_id": self.team_id,
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
        }


def _of(row: Row[Any]) -> Template:
    return Template(
        row.id,
        row.owner_id,
        row.name,
        row.folder,
        row.status,
        bool(row.shared),
        row.team_id,
        row.subject,
        row.text,
        row.html,
    )


def _visible(viewer: CurrentUser) -> Any:
    shared = and_(
        mail_templates.c.shared.is_(True),
        mail_templates.c.status == "published",
        or_(mail_templates.c.team_id.is_(None), mail_templates.c.team_id == viewer.team_id),
    )
    return or_(mail_templates.c.owner_id == viewer.id, shared)


def _clean(body: dict[str, Any], viewer: CurrentUser, partial: bool) -> dict[str, Any]:
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for key in ("name", "folder", "subject", "text", "html"):
        if key not in body:
            if not partial and key in ("name", "subject"):
                errors.append({"field": key, "message": "is required"})
            continue
        value = body[key]
        if not isinstance(value, str):
            errors.append({"field": key, "message": "must be a string"})
            continue
        if key in ("name", "folder") and len(value) > 200:
            errors.append({"field": key, "message": "is longer than 200 characters"})
        if key == "name" and not value.strip():
            errors.append({"field": key, "message": "is required"})
        out[key] = value.strip() if key in ("name", "folder") else value
    if "status" in body:
        if body["status"] not in STATUSES:
            errors.append({"field": "status", "message": "must be draft or published"})
        out["status"] = body["status"]
    if "shared" in body or "team_id" in body:
        shared = bool(body.get("shared", True))
        team = body.get("team_id")
        if shared and viewer.role not in SHARERS:
            errors.append({"field": "shared", "message": "only an admin or a manager shares"})
        if team is not None and (not isinstance(team, int) or isinstance(team, bool)):
            errors.append({"field": "team_id", "message": "must be a team id"})
        if shared and viewer.role == "manager" and team != viewer.team_id:
            errors.append({"field": "team_id", "message": "a manager shares with their own team"})
        out["shared"], out["team_id"] = shared, team if shared else None
    if errors:
        raise TemplateRefused(422, errors)
    return out


async def list_templates(engine: AsyncEngine, viewer: CurrentUser) -> list[Template]:
    query = (
        select(mail_templates)
        .where(_visible(viewer))
        .order_by(mail_templates.c.folder, mail_templates.c.name, mail_templates.c.id)
    )
    async with engine.connect() as conn:
        return [_of(r) for r in (await conn.execute(query)).all()]


async def get_template(engine: AsyncEngine, viewer: CurrentUser, template_id: int) -> Template:
    query = select(mail_templates).where(mail_templates.c.id == template_id, _visible(viewer))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    if row is None:
        raise TemplateRefused(404, [{"field": "id", "message": "no such template"}])
    return _of(row)


async def create_template(
    engine: AsyncEngine, viewer: CurrentUser, body: dict[str, Any]
) -> Template:
    values = {"folder": "", "text": "", "html": "", "status": "draft", "shared": False}
    values.update(_clean(body, viewer, partial=False))
    now = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(mail_templates).values(
                owner_id=viewer.id, created_at=now, updated_at=now, **values
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]  # one-column key
    return await get_template(engine, viewer, new_id)


async def _editable(engine: AsyncEngine, viewer: CurrentUser, template_id: int) -> Template:
    found = await get_template(engine, viewer, template_id)
    if found.owner_id != viewer.id and not viewer.is_admin:
        raise TemplateRefused(
            403, [{"field": "id", "message": "only its owner or an admin changes a template"}]
        )
    return found


async def update_template(
    engine: AsyncEngine, viewer: CurrentUser, template_id: int, body: dict[str, Any]
) -> Template:
    await _editable(engine, viewer, template_id)
    values = _clean(body, viewer, partial=True)
    values["updated_at"] = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(
            update(mail_templates).where(mail_templates.c.id == template_id).values(**values)
        )
    return await get_template(engine, viewer, template_id)


async def delete_template(engine: AsyncEngine, viewer: CurrentUser, template_id: int) -> None:
    await _editable(engine, viewer, template_id)
    async with engine.begin() as conn:
        await conn.execute(delete(mail_templates).where(mail_templates.c.id == template_id))
