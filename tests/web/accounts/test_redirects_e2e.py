"""Open redirects, over real HTTP: every `next` that is not a same-origin relative path falls
back to `/`, both for a signed-in visitor at `/auth/login` and through the whole sign-in
round trip with Google (the emulator) for a signed-out one."""

from __future__ import annotations

import httpx
import pytest

from tests.support.stack import Stack

ADMIN = "alice@brightwave.example"

HOSTILE = [
    "https://evil.example/x",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_signed_in_login_never_redirects_off_site(stack: Stack, target: str) -> None:
    """A signed-in user at /auth/login?next=<outside> is sent to / instead."""
    browser = stack.sign_in(ADMIN)
    answer = browser.get("/auth/login", params={"next": target}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_same_origin_paths_are_kept(stack: Stack) -> None:
    """A plain relative path (with its query) is where the signed-in user lands."""
    browser = stack.sign_in(ADMIN)
    answer = browser.get(
        "/auth/login", params={"next": "/contacts/3?tab=mail"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/contacts/3?tab=mail"


def test_sign_in_round_trip_ignores_hostile_next(stack: Stack) -> None:
    """Signing in with a hostile `next` (on the sign-in page and on the Google start link)
    ends on gpanel's own home page, and the login page never links the hostile value on."""
    browser = stack.browser()
    page = browser.get("/auth/login", params={"next": "/\t/evil.example/"})
    assert "evil.example" not in page.text
    for target in ("/\t/evil.example/", "//evil.example/", "https://evil.example/"):
        client = httpx.Client(timeout=30, follow_redirects=False)
        stack.queue_consent(ADMIN)
        answer = client.get(f"{stack.url}/auth/google", params={"next": target})
        # Follow by hand until gpanel's callback answers: its Location is the landing place.
        while "/auth/callback" not in str(answer.request.url):
            assert answer.status_code in (302, 303), answer.text[:300]
            answer = client.get(answer.headers["location"])
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
