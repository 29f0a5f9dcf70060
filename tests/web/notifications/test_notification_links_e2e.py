"""A notification row opens its thread, over real HTTP on both engines: the subject links to
the thread page on the sender's record, following the link shows the thread, and opening it
marks the notification opened (the bell's count goes down)."""

from __future__ import annotations

import re

from tests.support.stack import Stack, seen
from tests.web.thread_support import BEN, PAT, build_world, mail


def test_a_notification_links_to_its_thread(stack: Stack) -> None:
    """The row's link is the thread's URL on Pat's contact record; opening it marks it read."""
    world = build_world(stack)
    raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Delivery dates", "See attached.")
    created = world.insert(raw)
    world.add_hit(created["id"], created["threadId"])
    assert world.ben.get("/notifications/count").json()["unread"] == 1

    page = seen(world.ben.get("/notifications"))
    link = re.search(r'<a class="notification-open" href="([^"]+)">([^<]*)</a>', page)
    assert link is not None, page
    assert link[1] == world.url(created["threadId"]) and link[2] == "Delivery dates"
    thread = world.ben.get(link[1])
    assert thread.status_code == 200 and "Delivery dates" in seen(thread)
    assert world.ben.get("/notifications/count").json()["unread"] == 0
