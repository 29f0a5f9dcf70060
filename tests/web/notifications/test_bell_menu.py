"""The bell's dropdown fragment, `/notifications/menu`, over real HTTP: the same rows and the
same authorisation as `/notifications` (a signed-out visitor is refused the same way, a
colleague never sees another rep's rows), each MailMagnet row links to its thread, and looking
at the menu marks nothing seen."""

from __future__ import annotations

import re

import httpx

from tests.support.stack import Stack, seen
from tests.web.thread_support import BEN, PAT, build_world, mail


def test_signed_out_is_refused_like_the_page(stack: Stack) -> None:
    """No session: the menu answers as /notifications does, a redirect to sign-in, and shows
    no notification."""
    with httpx.Client(base_url=stack.url, timeout=30, follow_redirects=False) as anon:
        page, menu = anon.get("/notifications"), anon.get("/notifications/menu")
    assert menu.status_code == page.status_code == 303
    assert menu.headers["location"].startswith("/auth/login?next=/notifications/menu")
    assert "bell-list" not in menu.text and "See all notifications" not in menu.text


def test_the_menu_lists_the_reps_own_rows_only(stack: Stack) -> None:
    """Ben's hit shows in Ben's menu, linked to the thread on Pat's record; Carla, a colleague
    with her own session, gets an empty menu; opening Ben's menu leaves his count as it was."""
    world = build_world(stack)
    raw, _ = mail(f"Pat Buyer <{PAT}>", f"Ben <{BEN}>", "Delivery dates", "See attached.")
    created = world.insert(raw)
    world.add_hit(created["id"], created["threadId"])

    mine = seen(world.ben.get("/notifications/menu"))
    link = re.search(r'<a class="bell-open" href="([^"]+)">([^<]*)', mine)
    assert link is not None, mine
    assert link[1] == world.url(created["threadId"]) and "Delivery dates" in link[2]
    assert '<a href="/notifications">See all notifications</a>' in mine
    assert "<html" not in mine  # a fragment, not a page
    assert world.ben.get("/notifications/count").json()["unread"] == 1  # looking is not reading

    theirs = seen(world.carla.get("/notifications/menu"))
    assert "Delivery dates" not in theirs and created["threadId"] not in theirs
    assert 'class="bell-open"' not in theirs and "No notifications yet." in theirs
