"""The contract test, requests side: the emulator serves nothing Google's discovery document
does not describe.

Pins down, against `gmail.v1.json` as bundled in google-api-python-client:
- every route the emulator serves under `/gmail/v1` (and the upload paths) exists in the
  document with the same HTTP method and path template;
- every query parameter a route reads is declared for that method or API-wide, and an
  undeclared one is refused at run time.
The answers side (response schemas) is test_contract_schemas.py.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from collections.abc import Iterator
from typing import Any

from starlette.routing import BaseRoute, Mount, Route

from gpanel.emulator import discovery
from gpanel.emulator.app import create_emulator
from gpanel.emulator.config import EmulatorConfig
from tests.emulator.conftest import ANN, client_for
from tests.support.emulator import RunningEmulator

API_PREFIXES = ("/gmail/v1/", "/upload/gmail/v1/", "/resumable/upload/gmail/v1/")
ROUTE_MODULES = (
    "gpanel.emulator.gmail_api.common",
    "gpanel.emulator.gmail_api.labels",
    "gpanel.emulator.gmail_api.messages",
    "gpanel.emulator.gmail_api.threads",
    "gpanel.emulator.gmail_api.watch",
    "gpanel.emulator.gmail_api.upload",
    "gpanel.emulator.gmail_api.drafts",
    "gpanel.emulator.gmail_api.sendas",
)


# --- routes -------------------------------------------------------------------------------------
def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every Route of the app with its full path, descending into mounts."""
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def template(path: str) -> str:
    """A Starlette path as a discovery template: `{id:str}` becomes `{id}`."""
    return re.sub(r"\{([^}:]+)(:[^}]+)?\}", r"{\1}", path)


def served_api_routes() -> list[tuple[str, str, Route]]:
    app = create_emulator(EmulatorConfig())
    out = []
    for path, route in walk(list(app.routes)):
        if not path.startswith(API_PREFIXES):
            continue
        for verb in sorted((route.methods or set()) - {"HEAD"}):
            out.append((verb, template(path), route))
    return out


def documented(verb: str, path: str) -> discovery.Method | None:
    for method in discovery.methods():
        if method.http_method != verb:
            continue
        if path in (method.path, method.upload_path, method.resumable_path):
            return method
    return None


def test_every_served_route_is_in_the_discovery_document() -> None:
    """Each (HTTP method, path template) the emulator serves is a method of gmail.v1.json."""
    served = served_api_routes()
    assert len(served) >= 25  # the walk found the Gmail routes, not an empty app
    missing = [(verb, path) for verb, path, _ in served if documented(verb, path) is None]
    assert missing == []
    for verb, path, _ in served:
        method = documented(verb, path)
        assert method is not None
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        declared = {n for n, p in method.parameters.items() if p.get("location") == "path"}
        assert in_path == declared, (verb, path)


def test_the_methods_gpanel_needs_are_all_served() -> None:
    """The issue's list of methods is covered (so the contract above is not vacuous)."""
    served = {documented(verb, path).id for verb, path, _ in served_api_routes()}  # type: ignore[union-attr]
    needed = {
        f"gmail.users.{name}"
        for name in (
            "getProfile",
            "labels.list",
            "labels.get",
            "labels.create",
            "labels.patch",
            "labels.update",
            "labels.delete",
            "messages.list",
            "messages.get",
            "messages.send",
            "messages.insert",
            "messages.modify",
            "messages.batchModify",
            "messages.trash",
            "messages.untrash",
            "messages.attachments.get",
            "threads.list",
            "threads.get",
            "threads.modify",
            "threads.trash",
            "history.list",
            "watch",
            "stop",
            "drafts.create",
            "drafts.get",
            "drafts.list",
            "drafts.update",
            "drafts.send",
            "drafts.delete",
            "settings.sendAs.list",
            "settings.sendAs.get",
        )
    }
    assert needed <= served


def test_discovery_match_finds_every_method_by_its_own_path() -> None:
    """discovery.match resolves each method's path (and upload path) back to that method."""
    for method in discovery.methods():
        for path in (method.path, method.upload_path):
            if path is None:
                continue
            concrete = re.sub(r"\{([^}]+)\}", lambda m: f"v-{m.group(1)}", path)
            found = discovery.match(method.http_method, concrete)
            assert found is not None and found[0] == method.id, (method.id, concrete)
            assert all(value == f"v-{name}" for name, value in found[1].items())
    assert discovery.match("GET", "/gmail/v1/users/me/nothing") is None
    assert discovery.by_id("gmail.users.messages.send").max_upload_size == 36_700_160


# --- parameters ---------------------------------------------------------------------------------
def _reads(function: ast.AST) -> tuple[set[str], set[str]]:
    """Query parameter names a function reads directly, and the plain names it calls."""
    params: set[str] = set()
    calls: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                calls.add(func.id)
                if func.id.endswith("_param") and len(node.args) >= 2:
                    arg = node.args[1]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        params.add(arg.value)
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "getlist")
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "query_params"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                params.add(str(node.args[0].value))
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "query_params"
            and isinstance(node.slice, ast.Constant)
        ):
            params.add(str(node.slice.value))
    return params, calls


def _function_table() -> dict[str, tuple[set[str], set[str]]]:
    table: dict[str, tuple[set[str], set[str]]] = {}
    for name in ROUTE_MODULES:
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                table[node.name] = _reads(node)
    return table


def _params_of(endpoint: Any, table: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(endpoint)))
    found, calls = _reads(tree)
    seen: set[str] = set()
    pending = list(calls)
    while pending:
        name = pending.pop()
        if name in seen or name not in table:
            continue
        seen.add(name)
        params, more = table[name]
        found |= params
        pending.extend(more)
    return found


def test_routes_read_only_documented_query_parameters() -> None:
    """Every query parameter a route (or a helper it calls) reads is declared for its method."""
    table = _function_table()
    global_params = set(discovery.global_parameters())
    checked = 0
    for verb, path, route in served_api_routes():
        method = documented(verb, path)
        assert method is not None
        if not inspect.isfunction(route.endpoint):
            continue
        read = _params_of(route.endpoint, table)
        undeclared = read - set(method.parameters) - global_params
        assert undeclared == set(), (method.id, undeclared)
        checked += 1
    assert checked >= 25
    # The scan sees what it should: messages.list reads q, labelIds, maxResults, pageToken.
    listing = next(r for v, p, r in served_api_routes() if p.endswith("/messages") and v == "GET")
    assert {"q", "labelIds", "maxResults", "pageToken"} <= _params_of(listing.endpoint, table)


def test_undeclared_parameters_are_refused_at_run_time(users: RunningEmulator) -> None:
    """On the full emulator a parameter the method does not declare answers 400."""
    with client_for(users, users.token(ANN)) as gmail:
        assert gmail.get("/labels", params={"maxResults": "5"}).status_code == 400
        assert gmail.get("/labels", params={"prettyPrint": "false"}).status_code == 200
