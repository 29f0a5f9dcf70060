"""Scoped API tokens over real HTTP (gpanel + the Google emulator, both engines): tokens are
made on the token page with chosen scopes (CRM only by default), listed with them, and held
to them on every /api/ route before any handler runs: without `mail:read` no thread list,
thread, "why" or block list; without `mail:act` no action or block; without `crm:write` no
CRM change. A token never does more than its maker: their record access applies, an admin's
token is still held to its scopes, and deactivating the maker ends it. The OpenAPI document
names the schemes and each operation's scope, and every /api/ route has a scope decided."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import create_engine, update
from starlette.routing import Route

from gpanel.store.engine import sync_url
from gpanel.store.tables import users
from gpanel.web.guard.scopes import UNLISTED, required_scope
from gpanel.web.routes import all_routes
from tests.support.stack import Stack, seen
from tests.web.panel_kit import EMAIL, MARIA, World, build, message


def _make_token(world: World, rep: str, *scopes: str) -> str:
    """A token made through the token page, ticking exactly `scopes`."""
    page = world.client(rep).post(
        "/settings/api-tokens",
        data={"name": rep, "scopes": list(scopes), "scopes_offered": "1"},
    )
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'<code class="token">(gp_[^<]+)</code>', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _api(stack: Stack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )


def _world(stack: Stack) -> tuple[World, str]:
    world = build(stack, connect=["carla"])
    world.deliver("carla", message(MARIA, [EMAIL["carla"]], "Fleet renewal", "Body text")[0])
    (row,) = world.threads(world.client("carla"), "contact", "maria")["threads"]
    return world, row["thread_id"]


def _mail_calls(world: World, thread_id: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    maria, box = world.records["maria"], world.mailbox["carla"]
    on = {"record_type": "contact", "record_id": maria}
    return {
        "list": ("GET", f"/api/records/contact/{maria}/threads", {}),
        "thread": ("GET", f"/api/threads/{box}/{thread_id}", {"params": on}),
        "why": ("POST", f"/api/records/contact/{maria}/why", {"json": {"q": MARIA}}),
        "blocks": ("GET", "/api/blocks", {}),
        "opened": ("GET", "/api/mailbox/opened", {}),
        "action": (
            "POST",
            f"/api/threads/{box}/{thread_id}/actions",
            {"params": on, "json": {"action": "star"}},
        ),
        "block": ("POST", "/api/blocks", {"json": {"pattern": "@spam.example"}}),
        "unlink": (
            "POST",
            f"/api/records/contact/{maria}/panel/private",
            {"json": {"mailbox_id": box, "thread_id": thread_id}},
        ),
    }


READS = ("list", "thread", "why", "blocks", "opened")
ACTS = ("action", "block", "unlink")


def test_default_token_reaches_crm_but_no_mail(stack: Stack) -> None:
    """The token page ticks crm:read and crm:write by default and lists a token's scopes; such
    a token lists and creates contacts, and gets 403 naming the missing scope on every mail
    route (reads and actions), with no body."""
    world, thread_id = _world(stack)
    form = world.client("carla").get("/settings/api-tokens").text
    ticked = re.findall(r'value="([a-z:]+)" checked', form)
    assert sorted(ticked) == ["crm:read", "crm:write"]
    token = _make_token(world, "carla", *ticked)
    listing = seen(world.client("carla").get("/settings/api-tokens"))
    assert "crm:read" in listing and "crm:write" in listing
    api = _api(stack, token)
    assert api.get("/api/contacts").status_code == 200
    made = api.post("/api/contacts", json={"first_name": "Via", "emails": ["via@token.example"]})
    assert made.status_code == 201, made.text
    for name, (method, path, kw) in _mail_calls(world, thread_id).items():
        answer = api.request(method, path, **kw)
        assert answer.status_code == 403, (name, answer.text[:200])
        needed = "mail:read" if name in READS else "mail:act"
        assert needed in answer.json()["error"]["detail"], (name, answer.text)
        assert "Body text" not in answer.text and "Fleet renewal" not in answer.text


def test_mail_scopes_open_mail_reads_and_actions_separately(stack: Stack) -> None:
    """mail:read alone opens the thread list and the thread (body included) but no action;
    mail:read + mail:act opens the actions too; neither touches CRM records."""
    world, thread_id = _world(stack)
    calls = _mail_calls(world, thread_id)
    reader = _api(stack, _make_token(world, "carla", "mail:read"))
    for name in READS:
        method, path, kw = calls[name]
        answer = reader.request(method, path, **kw)
        assert answer.status_code == 200, (name, answer.text[:300])
    method, path, kw = calls["thread"]
    assert "Body text" in reader.request(method, path, **kw).text
    for name in ACTS:
        method, path, kw = calls[name]
        answer = reader.request(method, path, **kw)
        assert answer.status_code == 403 and "mail:act" in answer.text, name
    assert reader.get("/api/contacts").status_code == 403
    actor = _api(stack, _make_token(world, "carla", "mail:read", "mail:act"))
    for name in ACTS:
        method, path, kw = calls[name]
        answer = actor.request(method, path, **kw)
        assert answer.status_code in (200, 201), (name, answer.text[:300])


def test_unticking_every_scope_is_refused(stack: Stack) -> None:
    """The page's form with no scope ticked makes no token and says why."""
    world = build(stack)
    page = world.client("carla").post(
        "/settings/api-tokens", data={"name": "none", "scopes_offered": "1"}
    )
    assert page.status_code == 422 and "at least one scope" in page.text
    assert '<code class="token">' not in page.text


def test_crm_read_token_cannot_write_and_never_exceeds_its_maker(stack: Stack) -> None:
    """crm:read: lists work, POST/PATCH/DELETE are 403 naming crm:write. Carla's token opens
    no record Carla may not open; the admin's crm:read token cannot add a user; once Carla is
    deactivated her token is refused (401)."""
    world, _ = _world(stack)
    admin_read = _api(stack, _make_token(world, "alice", "crm:read"))
    west = [
        c
        for c in admin_read.get("/api/contacts", params={"limit": 200}).json()["items"]
        if c["owner_id"] in (world.user_ids["dev"], world.user_ids["emma"])
    ]
    refused = admin_read.post("/api/users", json={"email": "x@brightwave.example", "name": "X"})
    assert refused.status_code == 403 and "crm:write" in refused.text
    carla = _api(stack, _make_token(world, "carla", "crm:read"))
    maria = world.records["maria"]
    assert carla.get(f"/api/contacts/{maria}").status_code == 200
    assert carla.get(f"/api/contacts/{west[0]['id']}").status_code == 403
    writes: tuple[tuple[str, dict[str, Any]], ...] = (
        ("POST", {"json": {"first_name": "N"}}),
        ("PATCH", {"json": {}}),
    )
    for method, kw in writes:
        path = "/api/contacts" if method == "POST" else f"/api/contacts/{maria}"
        answer = carla.request(method, path, **kw)
        assert answer.status_code == 403 and "crm:write" in answer.text, method
    assert carla.delete(f"/api/contacts/{maria}").status_code == 403
    assert admin_read.get(f"/api/contacts/{maria}").status_code == 200  # not deleted
    engine = create_engine(sync_url(stack.db_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                update(users).where(users.c.id == world.user_ids["carla"]).values(active=False)
            )
    finally:
        engine.dispose()
    assert carla.get("/api/contacts").status_code == 401


def test_openapi_names_schemes_and_each_operations_scope(stack: Stack) -> None:
    """The document has both security schemes, lists the scopes, and gives every operation
    its `security`: CRM reads crm:read, changes crm:write, mail reads mail:read, actions
    mail:act. Every /api/ route of the app has a scope decided in the table."""
    doc = httpx.get(stack.url + "/api/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiToken"]["scheme"] == "bearer" and "mail:send" in str(schemes)
    paths = doc["paths"]

    def token_scopes(path: str, method: str) -> list[str]:
        return [s for req in paths[path][method]["security"] for s in req.get("apiToken", [])]

    assert token_scopes("/api/contacts", "get") == ["crm:read"]
    assert token_scopes("/api/deals/{id}", "patch") == ["crm:write"]
    assert token_scopes("/api/threads/{mailbox_id}/{thread_id}", "get") == ["mail:read"]
    assert token_scopes("/api/threads/{mailbox_id}/{thread_id}/actions", "post") == ["mail:act"]
    assert all(
        "security" in op for item in paths.values() for m, op in item.items() if m != "parameters"
    )
    for route in all_routes():
        if isinstance(route, Route) and route.path.startswith("/api/"):
            example = re.sub(r"\{[^}]+\}", "1", route.path)
            for method in route.methods or ():
                assert required_scope(method, example) is not UNLISTED, (method, route.path)
