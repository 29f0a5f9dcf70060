"""Who looked at my mail (issue 10): when a colleague opens one of Ben's threads (page or JSON),
Ben's "Who looked at my mail" page and its JSON list the thread, the colleague and the time;
the store holds ids and the time only; Ben's own openings and refused openings are not
recorded; nobody else sees Ben's list; rows go with MailMagnet's retention purge.
"""

from __future__ import annotations

import datetime as dt

from gpanel.jobs.runner import run_global_job
from gpanel.services.context import AppContext
from gpanel.services.sharing.policy import Audience, Detail
from gpanel.services.threads.opened_by import purge_opens
from gpanel.store.tables import thread_views
from tests.support.stack import Stack, seen
from tests.web.panel_kit import EMAIL, MARIA, build, message
from tests.web.trust.trust_kit import thread_json, thread_page, with_ctx


def test_the_owner_sees_who_opened_which_thread(stack: Stack) -> None:
    """Carla opens Ben's thread twice (page, then JSON, one visit) and tries a thread id that
    is not there; Ben opens his own. Ben's list shows one opening, by Carla, of that thread."""
    world = build(stack, connect=["ben", "carla"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.SUBJECT)
    sent = world.deliver("ben", message(MARIA, [EMAIL["ben"]], "Looked-at thread")[0])
    ben, carla = world.client("ben"), world.client("carla")
    assert thread_page(world, carla, "ben", sent["threadId"]).status_code == 200
    assert thread_json(world, carla, "ben", sent["threadId"]).status_code == 200
    assert thread_json(world, carla, "ben", "NoSuchThread01").status_code == 404
    assert thread_json(world, ben, "ben", sent["threadId"]).status_code == 200

    (row,) = stack.rows(thread_views)
    assert set(row._mapping) == {"id", "mailbox_id", "thread_id", "viewer_id", "viewed_at"}
    listed = ben.get("/api/mailbox/opened").json()["opened"]
    assert [(o["thread_id"], o["viewer_id"]) for o in listed] == [
        (sent["threadId"], world.user_ids["carla"])
    ]
    assert listed[0]["viewer_name"] == "Carla Reyes" and listed[0]["viewed_at"]
    assert carla.get("/api/mailbox/opened").json()["opened"] == []
    page = ben.get("/mailbox/opened")
    assert page.status_code == 200 and "Carla Reyes" in seen(page)
    assert sent["threadId"] in page.text
    assert 'href="/mailbox/opened"' in ben.get("/mailbox").text
    assert "Carla Reyes" not in seen(carla.get("/mailbox/opened"))

    # The hourly purge removes openings past MailMagnet's retention, and only those.
    with_ctx(stack, lambda ctx: run_global_job(ctx, "purge"))
    assert len(stack.rows(thread_views)) == 1
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=stack.settings.magnet_retention_days + 1)

    async def purge_later(ctx: AppContext) -> int:
        return await purge_opens(ctx, now=later)

    assert with_ctx(stack, purge_later) == 1
    assert stack.rows(thread_views) == []
