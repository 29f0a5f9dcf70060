"""The events endpoint in the JSON API (real HTTP, both engines): an API token needs mail:read
(a CRM-only token is refused before any handler runs, with the scope named), a mail:read
token gets the tab's rows; the OpenAPI document lists the operation with its query
parameters and scope; a bad `when` is a 400; a `tz` that is no zone name falls back to the
organisation's zone."""

from __future__ import annotations

import httpx

from tests.support.stack import Stack
from tests.web.accounts.test_token_scopes_e2e import _make_token
from tests.web.calendar.kit import add_calendar, seed
from tests.web.panel_kit import EMAIL, MARIA, build


def test_events_need_mail_read_and_are_documented(stack: Stack) -> None:
    """crm:read only: 403 naming mail:read; mail:read: Carla's meeting; OpenAPI: when/tz/company
    and apiToken [mail:read]; when=later: 400."""
    world = build(stack, connect=["carla"])
    add_calendar(world, "carla")
    seed(world, EMAIL["carla"], "API meeting", 1, [MARIA])
    path = f"/api/records/contact/{world.records['maria']}/events"
    crm_only = _make_token(world, "carla", "crm:read")
    mail = _make_token(world, "carla", "crm:read", "mail:read")
    with httpx.Client(base_url=stack.url, timeout=30) as api:
        refused = api.get(path, headers={"Authorization": f"Bearer {crm_only}"})
        assert refused.status_code == 403 and "mail:read" in refused.text
        allowed = api.get(path, headers={"Authorization": f"Bearer {mail}"})
        assert allowed.status_code == 200
        assert [e["title"] for e in allowed.json()["events"]] == ["API meeting"]
        bad = api.get(path, params={"when": "later"}, headers={"Authorization": f"Bearer {mail}"})
        assert bad.status_code == 400
        for zone in ("Europe", "x" * 300, "../../etc/passwd"):  # not zone names: the org's zone
            odd = api.get(path, params={"tz": zone}, headers={"Authorization": f"Bearer {mail}"})
            assert odd.status_code == 200 and odd.json()["time_zone"] == stack.settings.org_timezone
        doc = api.get("/api/openapi.json").json()
    operation = doc["paths"]["/api/records/{type}/{id}/events"]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {
        "when",
        "tz",
        "company",
    }
    assert {"apiToken": ["mail:read"]} in operation["security"]
