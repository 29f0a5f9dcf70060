"""The JSON API for CRM records: /api/companies, /api/contacts, /api/deals, /api/users,
/api/teams, each with list (filters, limit, opaque cursor), get, create (POST), update
(PATCH) and delete (DELETE), plus /api/openapi.json generated from the same models.

Handlers are thin: authenticate, parse and validate, call `gpanel.services.records.access`,
shape the answer. Errors follow `gpanel.web.errors`' JSON shape, with `fields` for field-level
problems: 422 for invalid input, 409 for a value another record already has, 404, 403.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from gpanel.crm.models import Directory, Kind, RecordType
from gpanel.services.accounts import disconnect
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.records import access as records
from gpanel.services.records import conflicts
from gpanel.web.api import schemas as s
from gpanel.web.api.security_doc import add_security
from gpanel.web.guard.viewer import ctx_of, require_user, viewer_of

_TITLES = {
    403: "You do not have access to this",
    404: "Not found",
    409: "That conflicts with what is there",
    422: "Some fields need attention",
}


@dataclass(frozen=True)
class Filter:
    param: str  # query parameter
    kwarg: str  # keyword of the crm lister
    kind: type  # int or str
    doc: str


@dataclass(frozen=True)
class Resource:
    kind: Kind
    create: type[BaseModel]
    patch: type[BaseModel]
    out: type[BaseModel]
    filters: tuple[Filter, ...]

    @property
    def name(self) -> str:
        """The collection's name in its paths: `/api/companies`."""
        return self.kind.plural


_Q = Filter("q", "q", str, "Text in the name (and, for users, the email).")
_OWNER = Filter("owner", "owner_id", int, "Owner's user id.")
_COMPANY = Filter("company", "company_id", int, "Company id.")
RESOURCES = (
    Resource(
        RecordType.COMPANY,
        s.CompanyIn,
        s.CompanyPatch,
        s.CompanyOut,
        (_Q, _OWNER, Filter("domain", "domain", str, "One of the company's domains.")),
    ),
    Resource(
        RecordType.CONTACT,
        s.ContactIn,
        s.ContactPatch,
        s.ContactOut,
        (
            _Q,
            _OWNER,
            _COMPANY,
            Filter("email", "email", str, "One of the addresses."),
            Filter("kind", "kind", str, "contact or lead."),
        ),
    ),
    Resource(
        RecordType.DEAL,
        s.DealIn,
        s.DealPatch,
        s.DealOut,
        (
            _Q,
            _OWNER,
            _COMPANY,
            Filter("stage", "stage", str, "Stage name."),
            Filter("contact", "contact_id", int, "Primary or role contact id."),
        ),
    ),
    Resource(
        Directory.USER,
        s.UserIn,
        s.UserPatch,
        s.UserOut,
        (
            _Q,
            Filter("team", "team_id", int, "Team id."),
            Filter("email", "email", str, "Email address."),
        ),
    ),
    Resource(Directory.TEAM, s.TeamIn, s.TeamPatch, s.TeamOut, (_Q,)),
)


def error_json(status: int, detail: str, fields: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "status": status,
        "title": _TITLES.get(status, "Error"),
        "detail": detail,
    }
    if fields:
        body["fields"] = fields
    return JSONResponse({"error": body}, status_code=status)


def _pydantic_fields(exc: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}


def viewer(request: Request) -> CurrentUser:
    """The one authentication hook of the CRM API (401 when signed out)."""
    return require_user(request)


Handler = Callable[[Request], Awaitable[Response]]


def _guard(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except ValidationError as exc:
            return error_json(422, "The request has invalid fields.", _pydantic_fields(exc))
        except Conflict as exc:
            # The holder's id only where the caller may open it (a 409 must not reveal more).
            seen = await conflicts.as_seen_by(ctx_of(request).engine, viewer_of(request), exc)
            return error_json(409, str(seen), seen.fields)
        except InvalidRecord as exc:
            return error_json(422, str(exc), exc.fields)
        except RecordNotFound as exc:
            return error_json(404, str(exc))
        except records.Forbidden as exc:
            return error_json(403, str(exc))

    return guarded


async def _body(request: Request, model: type[BaseModel]) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"null")
    except ValueError:
        raise InvalidRecord({"body": "is not valid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidRecord({"body": "must be a JSON object"})
    return model.model_validate(data).model_dump(exclude_unset=True)


def _out(resource: Resource, record: Any) -> dict[str, Any]:
    return resource.out.model_validate(record).model_dump(mode="json")


def _record_id(request: Request) -> int:
    return int(request.path_params["id"])


def _handlers(r: Resource) -> list[BaseRoute]:
    async def list_(request: Request) -> Response:
        who = viewer(request)
        params = request.query_params
        filters: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in r.filters:
            value = params.get(f.param)
            if value in (None, ""):
                continue
            try:
                filters[f.kwarg] = f.kind(value)
            except ValueError:
                errors[f.param] = "must be a whole number"
        try:
            limit = int(params.get("limit", "50"))
            if not 1 <= limit <= records.MAX_LIMIT:
                raise ValueError
        except ValueError:
            errors["limit"] = f"must be a whole number from 1 to {records.MAX_LIMIT}"
            limit = 0
        if errors:
            raise InvalidRecord(errors)
        page = await records.list_records(
            ctx_of(request).engine, who, r.kind, filters, limit, params.get("cursor")
        )
        return JSONResponse(
            {"items": [_out(r, x) for x in page.items], "next_cursor": page.next_cursor}
        )

    async def create(request: Request) -> Response:
        who = viewer(request)
        values = await _body(request, r.create)
        ctx = ctx_of(request)
        record = await records.create_record(
            ctx.engine, who, r.kind, values, org_domains=ctx.settings.own_domains
        )
        return JSONResponse(
            _out(r, record), status_code=201, headers={"Location": f"/api/{r.name}/{record.id}"}
        )

    async def get(request: Request) -> Response:
        who = viewer(request)
        record = await records.get_record(ctx_of(request).engine, who, r.kind, _record_id(request))
        return JSONResponse(_out(r, record))

    async def patch(request: Request) -> Response:
        who = viewer(request)
        changes = await _body(request, r.patch)
        ctx = ctx_of(request)
        record = await records.update_record(
            ctx.engine,
            who,
            r.kind,
            _record_id(request),
            changes,
            org_domains=ctx.settings.own_domains,
        )
        return JSONResponse(_out(r, record))

    async def delete(request: Request) -> Response:
        who = viewer(request)
        if r.kind is Directory.USER and who.is_admin and _record_id(request) != who.id:
            # Deleting a person disconnects their mailbox first: revoked at Google, not orphaned.
            await disconnect.disconnect_user(ctx_of(request), _record_id(request))
        await records.delete_record(ctx_of(request).engine, who, r.kind, _record_id(request))
        return Response(status_code=204)

    return [
        Route(f"/api/{r.name}", _guard(list_), methods=["GET"], name=f"api_{r.name}_list"),
        Route(f"/api/{r.name}", _guard(create), methods=["POST"], name=f"api_{r.name}_create"),
        Route(f"/api/{r.name}/{{id:int}}", _guard(get), methods=["GET"], name=f"api_{r.name}_get"),
        Route(f"/api/{r.name}/{{id:int}}", _guard(patch), methods=["PATCH"]),
        Route(f"/api/{r.name}/{{id:int}}", _guard(delete), methods=["DELETE"]),
    ]


def openapi_document() -> dict[str, Any]:
    """OpenAPI 3.1 for the CRM API, from the pydantic models and the resource table."""
    models: list[tuple[type[BaseModel], Any]] = [(s.ErrorOut, "serialization")]
    for r in RESOURCES:
        models += [(r.create, "validation"), (r.patch, "validation"), (r.out, "serialization")]
    _, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def error(desc: str) -> dict[str, Any]:
        return {"description": desc, "content": {"application/json": {"schema": ref(s.ErrorOut)}}}

    def body(model: type[BaseModel]) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": ref(model)}}}

    def ok(model: type[BaseModel] | dict[str, Any], code: str = "200") -> dict[str, Any]:
        schema = ref(model) if isinstance(model, type) else model
        return {code: {"description": "OK", "content": {"application/json": {"schema": schema}}}}

    paths: dict[str, Any] = {}
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    for r in RESOURCES:
        tag = [r.name]
        page = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": ref(r.out)},
                "next_cursor": {"type": ["string", "null"]},
            },
            "required": ["items", "next_cursor"],
        }
        params = [
            {
                "name": f.param,
                "in": "query",
                "required": False,
                "description": f.doc,
                "schema": {"type": "integer" if f.kind is int else "string"},
            }
            for f in r.filters
        ] + [
            {
                "name": "limit",
                "in": "query",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": records.MAX_LIMIT,
                    "default": 50,
                },
            },
            {
                "name": "cursor",
                "in": "query",
                "schema": {"type": "string"},
                "description": "next_cursor from the previous page.",
            },
        ]
        paths[f"/api/{r.name}"] = {
            "get": {
                "tags": tag,
                "summary": f"List {r.name}",
                "parameters": params,
                "responses": {**ok(page), "422": error("Invalid filter")},
            },
            "post": {
                "tags": tag,
                "summary": f"Create one of {r.name}",
                "requestBody": body(r.create),
                "responses": {
                    **ok(r.out, "201"),
                    "409": error("Conflict"),
                    "422": error("Invalid fields"),
                },
            },
        }
        paths[f"/api/{r.name}/{{id}}"] = {
            "parameters": [id_param],
            "get": {
                "tags": tag,
                "summary": "Get one",
                "responses": {**ok(r.out), "404": error("Not found")},
            },
            "patch": {
                "tags": tag,
                "summary": "Change the fields sent",
                "requestBody": body(r.patch),
                "responses": {
                    **ok(r.out),
                    "404": error("Not found"),
                    "409": error("Conflict"),
                    "422": error("Invalid fields"),
                },
            },
            "delete": {
                "tags": tag,
                "summary": "Delete",
                "responses": {"204": {"description": "Deleted"}, "404": error("Not found")},
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gpanel CRM API",
            "version": "1",
            "description": "CRM records in gpanel's built-in store. Sign-in required.",
        },
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {})},
    }


async def openapi(request: Request) -> Response:
    return JSONResponse(add_security(openapi_document()))


routes: list[BaseRoute] = [
    Route("/api/openapi.json", openapi, name="api_openapi"),
    *(route for r in RESOURCES for route in _handlers(r)),
]
