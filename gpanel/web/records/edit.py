"""Editing a record from its page: a contact's name and addresses, a deal's stage and closing
date. The same pydantic models and the same `services.records.access.update_record` as the
JSON API's PATCH, so the same refusals hold (the org's own addresses, another contact's
address, records the viewer may not change); the reason is shown on the record page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.crm.errors import InvalidRecord, RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.services.records import access as records
from gpanel.web.api import schemas
from gpanel.web.guard.viewer import ctx_of, require_user

_SPLIT = re.compile(r"[\s,;]+")


def _contact_changes(form: Any) -> dict[str, Any]:
    emails = [e for e in _SPLIT.split(str(form.get("emails") or "")) if e]
    return {
        "first_name": str(form.get("first_name") or "").strip(),
        "last_name": str(form.get("last_name") or "").strip(),
        "emails": emails,
    }


def _deal_changes(form: Any) -> dict[str, Any]:
    closing = str(form.get("closing_date") or "").strip()
    return {"stage": str(form.get("stage") or "").strip(), "closing_date": closing or None}


_FORMS: dict[RecordType, tuple[type[BaseModel], Any]] = {
    RecordType.CONTACT: (schemas.ContactPatch, _contact_changes),
    RecordType.DEAL: (schemas.DealPatch, _deal_changes),
}


def _words(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
    )


async def edit(request: Request) -> Response:
    viewer = require_user(request)
    ctx = ctx_of(request)
    kind = RecordType.parse(request.url.path.strip("/").split("/")[0])
    record_id = int(request.path_params["id"])
    model, read = _FORMS[kind]
    back = f"/{kind.plural}/{record_id}"
    try:
        changes = model.model_validate(read(await request.form())).model_dump(exclude_unset=True)
        await records.update_record(
            ctx.engine, viewer, kind, record_id, changes, org_domains=ctx.settings.own_domains
        )
    except ValidationError as exc:
        return RedirectResponse(back + "?error=" + quote(_words(exc)[:300]), status_code=303)
    except InvalidRecord as exc:
        return RedirectResponse(back + "?error=" + quote(str(exc)[:300]), status_code=303)
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden as exc:
        return RedirectResponse(back + "?error=" + quote(str(exc)[:300]), status_code=303)
    return RedirectResponse(back + "?notice=saved", status_code=303)


routes: list[BaseRoute] = [
    Route(f"/{k.plural}/{{id:int}}/edit", edit, methods=["POST"], name=f"{k.plural}_edit")
    for k in _FORMS
]
