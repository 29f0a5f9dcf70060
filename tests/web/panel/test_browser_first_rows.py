"""First rows at once, in real headless Chromium: the record panel shows the rows of the
mailboxes that have answered while a slow one is still being read, then fills in.

Carla's mailbox answers at once; Ben's (shared with Carla at Full detail) is held by the
emulator's `slow` fault on its threads.list (docs/emulator.md, faults). A MutationObserver,
installed before the page's own scripts, records each change of what the panel shows (is
Carla's row there, is Ben's, does the panel say it is still reading). The test asserts the
order of those states, not times: Carla's row alone with "Still reading", then both rows and
no "Still reading". Once on the record page (panel.js reading the streamed fragment) and once
on the embeddable page (the page itself streamed; CSS shows the newest part).
"""

from __future__ import annotations

from typing import Any

import pytest

from gpanel.services.accounts.sessions import sign_in
from gpanel.services.sharing.policy import Audience, Detail
from gpanel.web.guard.session import SESSION_COOKIE, SessionCodec
from tests.support.browser import chromium
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, db, message

pytestmark = [pytest.mark.browser]

# Each change of (Carla's row shown, Ben's row shown, "Still reading" shown), in the newest
# streamed part when the page has parts, else in the panel.
WATCH = """
window.__panelStates = [];
(function () {
  function state() {
    var panel = document.getElementById("mail-panel");
    if (!panel) { return null; }
    var parts = panel.querySelectorAll(".panel-part");
    var root = parts.length ? parts[parts.length - 1] : panel;
    var text = Array.prototype.map.call(root.querySelectorAll(".panel-open"),
      function (a) { return a.textContent; }).join("|");
    return [text.indexOf("Carla hello") >= 0, text.indexOf("Ben hello") >= 0,
            !!root.querySelector(".panel-loading")].join(",");
  }
  new MutationObserver(function () {
    var s = state();
    var all = window.__panelStates;
    if (s && all[all.length - 1] !== s) { all.push(s); }
  }).observe(document, { childList: true, subtree: true });
}());
"""


def _session_cookie(world: World, rep: str) -> str:
    async def go(engine: Any) -> str:
        _, session_id = await sign_in(engine, world.stack.settings, EMAIL[rep], rep)
        return str(session_id)

    codec = SessionCodec(world.stack.settings.secret_key.get_secret_value())
    return codec.dumps(db(world.stack, go))


def _states(world: World, path: str, cookie: str) -> list[str]:
    with chromium() as browser:
        context = browser.new_context()
        context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": world.stack.url}])
        context.add_init_script(WATCH)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(world.stack.url + path)
        page.locator(".panel-open", has_text="Ben hello").last.wait_for(timeout=20_000)
        page.wait_for_function(
            "window.__panelStates[window.__panelStates.length - 1] === 'true,true,false'",
            timeout=20_000,
        )
        assert errors == []
        return list(page.evaluate("window.__panelStates"))


def test_first_rows_show_before_a_slow_mailbox_answers(stack: Stack) -> None:
    world = build(stack, connect=["carla", "ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    world.deliver("carla", message(MARIA, [EMAIL["carla"]], "Carla hello")[0])
    world.deliver("ben", message(MARIA, [EMAIL["ben"]], "Ben hello")[0])
    cookie = _session_cookie(world, "carla")
    contact = world.records["maria"]
    for n, path in enumerate((f"/contacts/{contact}", f"/embed/contact/{contact}")):
        if n:  # Ben's mailbox moves, so the second view lists it again (and is held again)
            world.deliver("ben", message(MARIA, [EMAIL["ben"]], "Ben again")[0])
        world.hold("ben", 1500)
        states = [s for s in _states(world, path, cookie) if s != "false,false,false"]
        # Carla's row first, with the panel still reading Ben's mailbox; then both.
        assert states[0] == "true,false,true", (path, states)
        assert states[-1] == "true,true,false", (path, states)
        assert "false,true,false" not in states and "false,true,true" not in states
