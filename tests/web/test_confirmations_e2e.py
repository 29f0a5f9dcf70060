"""Destructive actions ask first, over real HTTP on both engines: labels undo and deleting a
person each lead to a page that says what will happen; opening it changes nothing; only the
form on it acts. (Disconnect's page is covered in test_disconnect_keeps_e2e.py.)"""

from __future__ import annotations

import re

from gpanel.store.tables import mailboxes, users
from tests.support.stack import Stack, csrf, seen

ADMIN = "alice@brightwave.example"
REP = "carla@brightwave.example"


def test_labels_undo_asks_first(stack: Stack) -> None:
    """The labels page links to the undo page, which names the labels and the count of
    messages it returns to the inbox; the undo itself is the POST from that page."""
    browser = stack.sign_in(REP)
    stack.connect(browser, REP)
    settings = seen(browser.get("/settings/labels"))
    assert 'href="/settings/labels/undo"' in settings
    assert not re.search(r'<form action="/settings/labels/undo"', settings)
    page = browser.get("/settings/labels/undo")
    text = seen(page)
    assert page.status_code == 200 and "Undo labels?" in text
    words = re.sub(r"<[^>]+>", "", text)
    assert "exactly the 0 messages gpanel took out of it" in words and "CRM/Customers" in words
    assert '<form action="/settings/labels/undo" method="post">' in text
    done = browser.post("/settings/labels/undo", data={"csrf_token": csrf(browser)})
    assert "Undone: 0 messages unlabelled, 0 returned to your inbox" in seen(done)


def test_deleting_a_person_asks_first(stack: Stack) -> None:
    """Delete… on the admin page opens a page naming the person and their mailbox; opening it
    deletes nothing; its form deletes them and disconnects their mailbox."""
    admin = stack.sign_in(ADMIN)
    carla = stack.sign_in(REP)
    stack.connect(carla, REP)
    carla_id = next(r.id for r in stack.rows(users) if r.email == REP)
    overview = seen(admin.get("/admin"))
    assert f'href="/admin/people/{carla_id}/delete"' in overview
    assert 'value="delete"' not in overview
    page = admin.get(f"/admin/people/{carla_id}/delete")
    text = seen(page)
    assert page.status_code == 200 and "Delete Carla Reyes?" in text
    assert f"their Gmail ({REP}) is disconnected" in text and "forgets everything" in text
    assert any(r.email == REP for r in stack.rows(users)) and len(stack.rows(mailboxes)) == 1
    done = admin.post(
        f"/admin/people/{carla_id}", data={"csrf_token": csrf(admin, "/admin"), "action": "delete"}
    )
    assert done.status_code == 200 and done.url.path == "/admin"
    assert all(r.email != REP for r in stack.rows(users)) and stack.rows(mailboxes) == []
    alice_id = next(r.id for r in stack.rows(users) if r.email == ADMIN)
    assert "cannot delete yourself" in seen(admin.get(f"/admin/people/{alice_id}/delete"))
