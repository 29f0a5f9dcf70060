"""The Calendar contract: every route and parameter the emulator serves is in calendar.v3.json
(as bundled in google-api-python-client), and its answers validate against that document's
schemas, with listed properties the only ones allowed."""

from __future__ import annotations

import ast
import functools
import inspect
from typing import Any

import httpx
import jsonschema

from gpanel.emulator import discovery
from gpanel.emulator.app import create_emulator
from gpanel.emulator.calendar import routes as calendar_routes
from gpanel.emulator.config import EmulatorConfig
from tests.emulator.calendar.conftest import ANN, BOB, seed
from tests.emulator.test_contract_routes import template, walk
from tests.emulator.test_contract_schemas import to_json_schema
from tests.support.emulator import RunningEmulator


def served() -> list[tuple[str, str, Any]]:
    app = create_emulator(EmulatorConfig())
    out = []
    for path, route in walk(list(app.routes)):
        if path.startswith("/calendar/v3/"):
            for verb in sorted((route.methods or set()) - {"HEAD"}):
                out.append((verb, template(path), route.endpoint))
    return out


def documented(verb: str, path: str) -> discovery.Method | None:
    return next(
        (m for m in discovery.calendar_methods() if (m.http_method, m.path) == (verb, path)), None
    )


def test_every_calendar_route_is_a_method_of_the_document() -> None:
    """Each served (verb, path) is a calendar.v3 method; the four the issue names are there."""
    found = {verb_path[:2]: documented(*verb_path[:2]) for verb_path in served()}
    assert None not in found.values(), found
    ids = {m.id for m in found.values() if m is not None}
    assert ids == {
        "calendar.calendarList.list",
        "calendar.events.list",
        "calendar.events.get",
        "calendar.events.insert",
    }


def _is_query_get(func: ast.expr) -> bool:
    """`request.query_params.get(...)`."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "get"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "query_params"
    )


def _reads(function: Any) -> set[str]:
    """Query parameter names a handler reads, through the helpers of the routes module."""
    source = inspect.getsource(calendar_routes)
    helpers = {n.name: n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
    names: set[str] = set()
    pending = [ast.parse(inspect.getsource(function))]
    seen: set[str] = set()
    while pending:
        tree = pending.pop()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            # The parameter's name is a literal argument (first for .get, second for helpers).
            consts = [a.value for a in node.args[:1] if isinstance(a, ast.Constant)]
            func = node.func
            if _is_query_get(func):
                names.update(str(c) for c in consts)
            if isinstance(func, ast.Name) and func.id in ("_time", "_int", "_flag"):
                names.update(str(a.value) for a in node.args[1:2] if isinstance(a, ast.Constant))
            if isinstance(func, ast.Name) and func.id in helpers and func.id not in seen:
                seen.add(func.id)
                pending.append(helpers[func.id])  # type: ignore[arg-type]
    return names


def test_every_parameter_read_is_declared_and_others_are_refused(people: RunningEmulator) -> None:
    """What a handler reads is declared for its method or API-wide; an unknown one is a 400."""
    globals_ = set(discovery.calendar_document()["parameters"])
    for verb, path, endpoint in served():
        method = documented(verb, path)
        assert method is not None
        undeclared = _reads(endpoint) - set(method.parameters) - globals_
        assert undeclared == set(), (method.id, undeclared)
    token = people.token(ANN, ["https://www.googleapis.com/auth/calendar.readonly"])
    response = httpx.get(
        f"{people.url}/calendar/v3/calendars/primary/events",
        params={"colour": "red"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and "colour" in response.text


@functools.cache
def validator(schema_name: str) -> jsonschema.protocols.Validator:
    schemas = discovery.calendar_document()["schemas"]
    defs = {name: to_json_schema(node) for name, node in schemas.items()}
    schema = {"$defs": defs, "$ref": f"#/$defs/{schema_name}"}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def _check(response: httpx.Response) -> Any:
    assert response.is_success, response.text[:300]
    found = discovery.match_method(response.request.method, response.request.url.path)
    assert found is not None and found[0].response_schema
    body = response.json()
    validator(found[0].response_schema).validate(body)
    return body


def test_answers_validate_against_the_calendar_schemas(
    people: RunningEmulator, cal: httpx.Client
) -> None:
    """calendarList.list, events.list (plain, expanded, synced), get and insert answer the
    document's shapes exactly, including recurring instances, Meet links and cancelled events."""
    seed(
        people,
        ANN,
        {
            "summary": "Weekly",
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            "start": {"dateTime": "2026-12-01T09:00:00Z"},
            "end": {"dateTime": "2026-12-01T09:30:00Z"},
            "attendees": [{"email": BOB, "displayName": "Bob"}],
        },
    )
    seed(
        people,
        ANN,
        {
            "summary": "Gone",
            "status": "cancelled",
            "start": {"date": "2026-12-03"},
            "end": {"date": "2026-12-04"},
        },
    )
    _check(cal.get("/users/me/calendarList"))
    listed = _check(cal.get("/calendars/primary/events", params={"showDeleted": "true"}))
    assert {e["summary"] for e in listed["items"]} == {"Weekly", "Gone"}
    expanded = _check(
        cal.get(
            "/calendars/primary/events",
            params={
                "singleEvents": "true",
                "orderBy": "startTime",
                "timeMin": "2026-11-30T00:00:00Z",
            },
        )
    )
    assert [e["start"]["dateTime"] for e in expanded["items"]] == [
        "2026-12-01T09:00:00Z",
        "2026-12-08T09:00:00Z",
        "2026-12-15T09:00:00Z",
    ]
    _check(cal.get(f"/calendars/primary/events/{expanded['items'][1]['id']}"))
    created = _check(
        cal.post(
            "/calendars/primary/events",
            params={"conferenceDataVersion": "1"},
            json={
                "summary": "Kick-off",
                "start": {"dateTime": "2026-12-02T10:00:00+01:00"},
                "end": {"dateTime": "2026-12-02T11:00:00+01:00"},
                "attendees": [{"email": BOB}],
                "conferenceData": {"createRequest": {"requestId": "r1"}},
            },
        )
    )
    assert created["hangoutLink"].startswith("https://meet.google.com/")
    synced = _check(
        cal.get("/calendars/primary/events", params={"syncToken": listed["nextSyncToken"]})
    )
    assert [e["id"] for e in synced["items"]] == [created["id"]]
