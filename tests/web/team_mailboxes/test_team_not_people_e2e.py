"""A team mailbox's account is never a person, over real HTTP (both engines): the admin's
/api/users list, its search and email filters, a page of one team, and the account's own id
(read, change, delete) all answer as if the account did not exist; the people are still there."""

from __future__ import annotations

from gpanel.store.tables import users
from tests.support.stack import Stack, csrf
from tests.web.team_mailboxes.kit import SALES_BOX, build_team_world
from tests.web.thread_support import ALICE, BEN, CARLA


def _emails(page: dict[str, object]) -> set[str]:
    items = page["items"] if "items" in page else page["data"]
    assert isinstance(items, list)
    return {str(item["email"]) for item in items}


def test_team_account_is_not_listed_as_a_person(stack: Stack) -> None:
    world = build_team_world(stack)
    [account_id] = [int(u.id) for u in stack.rows(users) if u.team_account]
    alice = world.alice
    listed = alice.get("/api/users", params={"limit": 200})
    assert listed.status_code == 200, listed.text[:300]
    emails = _emails(listed.json())
    assert {ALICE, BEN, CARLA} <= emails  # the people are listed
    assert SALES_BOX not in emails
    assert account_id not in {item["id"] for item in listed.json().get("items", [])}
    assert _emails(alice.get("/api/users", params={"q": "sales"}).json()) == set()
    assert _emails(alice.get("/api/users", params={"q": "Brightwave Sales"}).json()) == set()
    assert _emails(alice.get("/api/users", params={"email": SALES_BOX}).json()) == set()
    assert _emails(alice.get("/api/users", params={"email": BEN}).json()) == {BEN}

    headers = {"X-CSRF-Token": csrf(alice, "/")}
    assert alice.get(f"/api/users/{account_id}").status_code == 404
    renamed = alice.patch(f"/api/users/{account_id}", json={"name": "X"}, headers=headers)
    assert renamed.status_code == 404
    assert alice.delete(f"/api/users/{account_id}", headers=headers).status_code == 404
    assert alice.get(f"/api/users/{world.ids[BEN]}").status_code == 200
    # The account still exists (it holds the mailbox).
    assert [u.email for u in stack.rows(users) if u.team_account] == [SALES_BOX]
