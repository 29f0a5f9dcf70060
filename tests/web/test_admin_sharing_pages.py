"""The admin page and the sharing page show what is stored, over real HTTP: the roles' feature
and sharing rules as the admin saved them, the teams by name, and on the sharing page the
colleagues one may pick (the other active people, by name) and every team.
"""

from __future__ import annotations

import re

import httpx

from tests.support.stack import Stack, csrf

ADMIN = "alice@brightwave.example"


def _team(alice: httpx.Client, name: str) -> int:
    made = alice.post("/api/teams", json={"name": name}, headers={"X-CSRF-Token": csrf(alice)})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _add_person(alice: httpx.Client, email: str, name: str, team_id: int | None = None) -> None:
    form = {"csrf_token": csrf(alice), "email": email, "name": name, "role": "rep"}
    form["team_id"] = str(team_id) if team_id else ""
    added = alice.post("/admin/people", data=form)
    assert added.status_code == 200 and added.url.path == "/admin", added.text[:300]


def _person_id(page: str, name: str) -> int:
    row = re.search(rf"<td>{name}</td>.*?action=\"/admin/people/(\d+)\"", page, re.S)
    assert row, name
    return int(row.group(1))


def _select(page: str, name: str) -> str | None:
    """The selected option's value of the select called `name` (None: nothing selected)."""
    block = re.search(rf'<select name="{re.escape(name)}".*?</select>', page, re.S)
    assert block, name
    chosen = re.search(r'<option value="([^"]*)" selected>', block.group(0))
    return chosen.group(1) if chosen else None


def _checked(page: str, name: str) -> bool:
    box = re.search(rf'<input type="checkbox" name="{re.escape(name)}"[^>]*>', page, re.S)
    assert box, name
    return "checked" in box.group(0)


def test_sharing_page_offers_the_other_active_people_and_every_team_by_name(stack: Stack) -> None:
    """The picker lists active colleagues sorted by name, never oneself nor a deactivated
    person, and the teams sorted by name (not in the order they were made)."""
    alice = stack.sign_in(ADMIN)
    west, east = _team(alice, "West"), _team(alice, "East")
    _add_person(alice, "zoe@brightwave.example", "Zoe Adams", west)
    _add_person(alice, "ben@brightwave.example", "Ben Okafor", east)
    _add_person(alice, "dev@brightwave.example", "Dev Patel")
    dev = _person_id(alice.get("/admin").text, "Dev Patel")
    off = alice.post(
        f"/admin/people/{dev}",
        data={"csrf_token": csrf(alice), "action": "save", "role": "rep", "team_id": ""},
    )
    assert off.status_code == 200 and off.url.path == "/admin"

    page = alice.get("/settings/sharing")
    assert page.status_code == 200
    people = re.findall(r'name="users" value="\d+"[^>]*> ([^<]+?) <span', page.text)
    teams = re.findall(r'name="teams" value="(\d+)"[^>]*> Team ([^<]+)</label>', page.text)
    assert people == ["Ben Okafor", "Zoe Adams"]
    assert teams == [(str(east), "East"), (str(west), "West")]


def test_admin_page_shows_the_role_rules_as_saved(stack: Stack) -> None:
    """Rules saved through the admin form come back on the admin page: feature switches per
    role, a forced and locked audience, a capped detail, and teams by name in the pickers."""
    alice = stack.sign_in(ADMIN)
    _team(alice, "West")
    _team(alice, "East")
    saved = alice.post(
        "/admin/rules",
        data={
            "csrf_token": csrf(alice),
            "rep:connect_gmail": "on",
            "rep:labels": "on",
            "rep:audience:mode": "forced",
            "rep:audience:value": "private",
            "rep:audience:locked": "on",
            "rep:detail:mode": "choice",
            "rep:detail:value": "subject",
            "manager:mailmagnet": "on",
        },
    )
    assert saved.status_code == 200 and saved.url.path == "/admin", saved.text[:300]

    page = alice.get("/admin").text
    assert _checked(page, "rep:connect_gmail") and _checked(page, "rep:labels")
    assert not _checked(page, "rep:mailmagnet")
    assert _checked(page, "manager:mailmagnet") and not _checked(page, "manager:connect_gmail")
    assert _select(page, "rep:audience:mode") == "forced"
    assert _select(page, "rep:audience:value") == "private"
    assert _checked(page, "rep:audience:locked")
    assert _select(page, "rep:detail:mode") == "choice"
    assert _select(page, "rep:detail:value") == "subject"
    assert not _checked(page, "rep:detail:locked")
    assert _select(page, "manager:audience:value") is None  # no rule: "(no limit)"
    add_form = page[page.index('action="/admin/people" method="post"') :]
    assert re.findall(r'<option value="\d+">([^<]+)</option>', add_form)[:2] == ["East", "West"]
