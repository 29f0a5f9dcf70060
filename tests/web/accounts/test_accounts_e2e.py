"""Accounts end to end, over real HTTP: gpanel and the Google emulator each on a port of
127.0.0.1, a cookie-keeping client playing the browser. Sign-in, connect, refresh after expiry,
revoked access, partial consent, disconnect, and the refusals: forged state, replayed code,
wrong PKCE verifier, tampered session, missing CSRF token, a rep at an admin endpoint.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography.fernet import Fernet
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, inspect, text

from gpanel.services.accounts.tokens import TokenBroker
from gpanel.services.accounts.vault import TokenVault
from gpanel.store.engine import create_engine as create_async_engine
from gpanel.store.engine import sync_url
from gpanel.store.tables import api_tokens, mailboxes, users
from tests.support.stack import TOKEN_KEY, Stack, csrf, seen

ADMIN = "alice@brightwave.example"
REP = "carla@brightwave.example"
GMAIL = "https://www.googleapis.com/auth/gmail.modify"
OLD_KEY, NEW_KEY = TOKEN_KEY, Fernet.generate_key().decode()


def test_sign_in_then_connect_then_test_connection(stack: Stack) -> None:
    """The first admin signs in through Google's consent, connects Gmail with gmail.modify,
    and the connection test proves the token, the scope and Gmail itself."""
    browser = stack.sign_in(ADMIN)
    assert "Your day, Alice" in browser.get("/").text
    page = stack.connect(browser, ADMIN)
    assert page.url.path == "/mailbox" and "Your Gmail is connected" in page.text
    report = browser.post("/mailbox/test", data={"csrf_token": csrf(browser)})
    assert report.status_code == 200
    assert report.text.count("✓") == 3, report.text
    (row,) = stack.rows(mailboxes)
    assert row.status == "connected" and GMAIL in row.scopes and row.history_id


def test_no_token_is_stored_in_plain_text(stack: Stack) -> None:
    """After sign-in and connect, no column of any table holds a Google token or the session
    id in plain text: refresh tokens are encrypted, sessions are stored as hashes."""
    browser = stack.sign_in(ADMIN)
    stack.connect(browser, ADMIN)
    session_cookie = next(c.value for c in browser.cookies.jar if c.name == "gpanel_session")
    session_id = URLSafeTimedSerializer(
        stack.settings.secret_key.get_secret_value(), salt="gpanel.session"
    ).loads(session_cookie)
    engine = create_engine(sync_url(stack.db_url))
    dump = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                dump += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table}"'))]
    finally:
        engine.dispose()
    blob = "\n".join(dump)
    assert "1//0Emu" not in blob and "ya29." not in blob and session_id not in blob
    assert "gAAAAA" in blob  # the Fernet ciphertext is there instead


def test_rep_outside_the_org_is_refused(stack: Stack) -> None:
    stack.emulator.add_user("mallory@elsewhere.example", "Mallory")
    client = stack.browser()
    stack.queue_consent("mallory@elsewhere.example")
    page = client.get("/auth/google")
    assert page.status_code == 403 and "not a gpanel user here" in page.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/auth/login"


def test_partial_consent_is_explained_and_nothing_stored(stack: Stack) -> None:
    """Unticking Gmail on the consent page leaves no mailbox and says which features need it."""
    browser = stack.sign_in(ADMIN)
    page = stack.connect(
        browser, ADMIN, scopes=["openid", "https://www.googleapis.com/auth/userinfo.email"]
    )
    assert page.status_code == 400
    assert "did not grant gpanel access to your Gmail" in page.text
    assert "reply and send" in page.text
    assert stack.rows(mailboxes) == []


def test_revoked_access_asks_that_owner_to_reconnect_only(stack: Stack) -> None:
    """When the user removes gpanel at Google, the next refresh gets invalid_grant: that mailbox
    is marked "needs reconnect" with the fix in plain words; a colleague's mailbox still works."""
    alice, carla = stack.sign_in(ADMIN), stack.sign_in(REP)
    stack.connect(alice, ADMIN)
    stack.connect(carla, REP)
    stack.emulator.control.post("/_emulator/oauth/revoke-user", json={"email": REP})
    report = carla.post("/mailbox/test", data={"csrf_token": csrf(carla)})
    assert "Google no longer accepts gpanel's access to this mailbox: reconnect" in seen(report)
    page = carla.get("/mailbox").text
    assert "Needs reconnecting" in page and "Reconnect Gmail" in page
    assert alice.post("/mailbox/test", data={"csrf_token": csrf(alice)}).text.count("✓") == 3
    # Reconnecting puts it right.
    stack.connect(carla, REP)
    assert "Connected" in carla.get("/mailbox").text


async def test_expired_access_token_is_refreshed_once_for_fifty_callers(stack: Stack) -> None:
    """Fifty concurrent requests for one mailbox whose token expired share one refresh, and
    the new token works at Gmail."""
    browser = stack.sign_in(ADMIN)
    stack.connect(browser, ADMIN)
    (row,) = stack.rows(mailboxes)
    engine = create_async_engine(stack.settings.resolved_database_url)
    try:
        async with httpx.AsyncClient() as http:
            broker = TokenBroker(
                engine, http, stack.settings, TokenVault(stack.settings.fernet_keys)
            )
            first = await broker.access_token(str(row.id))
            stack.emulator.control.post("/_emulator/expire-tokens", json={"email": ADMIN})
            broker.forget(str(row.id))
            tokens = await asyncio.gather(*[broker.refresh(str(row.id)) for _ in range(50)])
            assert broker.refreshes == 2 and len(set(tokens)) == 1 and tokens[0] != first
            profile = await http.get(
                f"{stack.emulator.url}/gmail/v1/users/me/profile",
                headers={"Authorization": f"Bearer {tokens[0]}"},
            )
            assert profile.status_code == 200 and profile.json()["emailAddress"] == ADMIN
    finally:
        await engine.dispose()


def live_grants(stack: Stack, email: str) -> list[dict[str, object]]:
    """The emulator's unrevoked refresh-token grants that give Gmail access to an account."""
    listing = stack.emulator.control.get("/_emulator/oauth/grants").json()["refresh_tokens"]
    return [
        g
        for g in listing
        if g["email"].lower() == email and not g["revoked"] and GMAIL in g["scopes"]
    ]


def test_disconnect_revokes_at_google_and_deletes_everything(stack: Stack) -> None:
    browser = stack.sign_in(ADMIN)
    stack.connect(browser, ADMIN)
    assert len(live_grants(stack, ADMIN)) == 1
    page = browser.post(
        "/mailbox/disconnect", data={"csrf_token": csrf(browser), "forget": "everything"}
    )
    assert "revoked its access at Google and deleted everything" in page.text
    assert stack.rows(mailboxes) == []
    assert live_grants(stack, ADMIN) == []


def _granted(stack: Stack, email: str) -> tuple[str, dict[str, str]]:
    """Start a sign-in and let Google approve it: the flow cookie and the callback query."""
    client = stack.browser()
    stack.queue_consent(email)
    start = client.get("/auth/google", follow_redirects=False)
    granted = client.get(start.headers["location"], follow_redirects=False)
    callback = urlsplit(granted.headers["location"])
    return start.cookies["gpanel_oauth"], dict(parse_qsl(callback.query))


def _callback(stack: Stack, cookie: str, query: dict[str, str]) -> httpx.Response:
    client = stack.browser()
    client.cookies.set("gpanel_oauth", cookie)
    return client.get("/auth/callback", params=query, follow_redirects=False)


def test_forged_state_replayed_code_and_wrong_verifier_are_refused(stack: Stack) -> None:
    """A callback whose state does not match the signed cookie, a code presented with another
    PKCE verifier, and a code used a second time each end at an error page with no session."""
    cookie, query = _granted(stack, ADMIN)
    forged = _callback(stack, cookie, {**query, "state": "forged"})
    assert forged.status_code == 400 and "did not match" in forged.text

    signer = URLSafeTimedSerializer(
        stack.settings.secret_key.get_secret_value(), salt="gpanel.oauth-flow"
    )
    wrong = signer.dumps({**signer.loads(cookie), "v": "x" * 64})
    bad_pkce = _callback(stack, wrong, query)
    assert bad_pkce.status_code == 400 and "did not accept" in bad_pkce.text
    assert "gpanel_session" not in bad_pkce.cookies
    assert [r for r in stack.rows(users) if r.email == ADMIN] == []

    cookie, query = _granted(stack, ADMIN)
    first = _callback(stack, cookie, query)
    assert first.status_code == 303 and "gpanel_session" in first.cookies
    replay = _callback(stack, cookie, query)
    assert replay.status_code == 400 and "gpanel_session" not in replay.cookies


def test_tampered_cookie_missing_csrf_and_rep_at_admin_are_refused(stack: Stack) -> None:
    alice = stack.sign_in(ADMIN)
    stack.connect(alice, ADMIN)
    # No CSRF token: refused, and the mailbox is still there.
    refused = alice.post("/mailbox/disconnect", data={})
    assert refused.status_code == 403 and len(stack.rows(mailboxes)) == 1
    # A tampered session cookie is no session at all.
    tampered = stack.browser()
    good = next(c.value for c in alice.cookies.jar if c.name == "gpanel_session")
    tampered.cookies.set("gpanel_session", good[:-3] + "abc")
    assert tampered.get("/", follow_redirects=False).headers["location"] == "/auth/login"
    # A rep cannot add people through the admin endpoint.
    carla = stack.sign_in(REP)
    before = len(stack.rows(users))
    answer = carla.post(
        "/admin/people", data={"csrf_token": csrf(carla), "email": "x@y.example", "role": "admin"}
    )
    assert answer.status_code == 403 and len(stack.rows(users)) == before


def test_doctor_reports_and_rotates_token_keys(stack: Stack) -> None:
    """`gpanel doctor` prints every mailbox's checks; with a new key first, --rotate-keys moves
    stored tokens to it, after which the old key can be dropped and the mailbox still works."""
    browser = stack.sign_in(ADMIN)
    stack.connect(browser, ADMIN)

    def doctor(keys: str, *extra: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **stack.env, "GPANEL_TOKEN_KEYS": keys}
        return subprocess.run(
            [sys.executable, "-m", "gpanel.cli", "doctor", *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    first = doctor(OLD_KEY)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"✓ {ADMIN}" in first.stdout and "Gmail answered" in first.stdout
    rotated = doctor(f"{NEW_KEY},{OLD_KEY}", "--rotate-keys")
    assert "Re-encrypted 1 stored token" in rotated.stdout
    after = doctor(NEW_KEY)
    assert after.returncode == 0 and "✓ Access token" in after.stdout
    stale = doctor(OLD_KEY)
    assert stale.returncode == 1 and "no longer configured" in stale.stdout


def test_deleting_a_user_through_the_api_disconnects_their_mailbox(stack: Stack) -> None:
    """An admin deleting a person through the JSON API revokes their Gmail access at Google and
    removes their mailbox, exactly like disconnecting it."""
    alice = stack.sign_in(ADMIN)
    carla = stack.sign_in(REP)
    stack.connect(carla, REP)
    assert len(live_grants(stack, REP)) == 1
    carla_id = next(r.id for r in stack.rows(users) if r.email == REP)
    answer = alice.delete(f"/api/users/{carla_id}", headers={"X-CSRF-Token": csrf(alice)})
    assert answer.status_code == 204
    assert stack.rows(mailboxes) == [] and all(r.email != REP for r in stack.rows(users))
    assert live_grants(stack, REP) == []


def test_api_token_lets_a_system_push_records_without_a_session(stack: Stack) -> None:
    """A token made on the settings page authenticates a cookie-less system on /api/ only, with
    its maker's access; it is stored only as a hash; once revoked it is refused."""
    alice = stack.sign_in(ADMIN)
    page = alice.post("/settings/api-tokens", data={"csrf_token": csrf(alice), "name": "sync"})
    token = re.search(r'<code class="token">(gp_[^<]+)</code>', page.text).group(1)  # type: ignore[union-attr]
    system = httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {token}"})
    made = system.post("/api/companies", json={"name": "Pushed Co", "domains": ["pushed.example"]})
    assert made.status_code == 201, made.text
    assert system.get("/mailbox", follow_redirects=False).status_code == 303  # pages: no
    (row,) = stack.rows(api_tokens)
    assert token not in repr(tuple(row)) and row.last_used_at is not None
    alice.post(f"/settings/api-tokens/{row.id}/revoke", data={"csrf_token": csrf(alice)})
    assert system.get("/api/companies").status_code == 401
    assert (
        httpx.get(
            stack.url + "/api/companies", headers={"Authorization": "Bearer gp_forged"}
        ).status_code
        == 401
    )
