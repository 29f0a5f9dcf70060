"""Demo and test set-up that goes through gpanel's real connect flow, with no browser.

`connect_through_emulator` plays the browser's part of "Connect Gmail" against the Google
emulator: it queues the consent decision on the emulator's control API, follows gpanel's own
authorisation URL to get the redirect with the code, and hands that to the same
`GoogleOAuth.finish` + `mailboxes.connect` a real callback uses. Nothing is inserted behind
the product's back, so what the demo shows is what production code produces.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.demo.cast import REPS
from gpanel.services.accounts import mailboxes
from gpanel.services.accounts.google_oauth import GoogleOAuth, relax_oauthlib
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.accounts.vault import TokenVault
from gpanel.services.calendar.demo import add_calendar_through_emulator
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Audience, Detail, Sharing
from gpanel.settings import Settings
from gpanel.store.tables import teams, users


async def connect_through_emulator(
    engine: AsyncEngine, settings: Settings, emulator_url: str, user: CurrentUser
) -> mailboxes.Mailbox:
    relax_oauthlib(settings)
    oauth = GoogleOAuth(settings)
    start = oauth.start("connect", login_hint=user.email, next_path="/mailbox")
    async with httpx.AsyncClient(timeout=30) as http:
        queued = await http.post(
            f"{emulator_url}/_emulator/oauth/next-consent", json={"email": user.email}
        )
        queued.raise_for_status()
        answer = await http.get(start.url, follow_redirects=False)
    location = answer.headers.get("location", "")
    if answer.status_code not in (302, 303) or "code=" not in location:
        raise RuntimeError(f"the emulator did not approve the demo consent ({answer.status_code})")
    query = dict(parse_qsl(urlsplit(location).query))
    result = await oauth.finish("connect", start.cookie, query)
    return await mailboxes.connect(engine, TokenVault(settings.fernet_keys), user, result)


# How the demo reps share, so a visitor sees every kind of setting at work.
DEMO_SHARING = {
    "alice": Sharing(Audience.RECORD_ACCESS, Detail.FULL),
    "ben": Sharing(Audience.RECORD_ACCESS, Detail.SUBJECT),
    "carla": Sharing(Audience.SELECTED, Detail.FULL),  # with her team, East
    "dev": Sharing(Audience.RECORD_ACCESS, Detail.METADATA),
    "emma": Sharing(Audience.PRIVATE, Detail.FULL),
}


async def connect_demo_mailboxes(
    engine: AsyncEngine, settings: Settings, emulator_url: str, *, first_start: bool = True
) -> int:
    """At the demo's first start, connect the mailbox of every rep marked `connected_at_start`
    (one rep is left to try onboarding); at every later start, connect again exactly the
    mailboxes that are connected (see below), so what people connected or disconnected stays
    so. Gives each rep their demo sharing setting. Returns how many were newly connected."""
    connected = 0
    async with engine.connect() as conn:
        rows = {r.email: r for r in (await conn.execute(select(users))).all()}
        team_ids = {t.name: t.id for t in (await conn.execute(select(teams))).all()}
    for rep in REPS:
        row = rows.get(rep.email.lower())
        if row is None:
            continue
        user = CurrentUser(row.id, row.email, row.name, row.role, row.team_id)
        if await mailboxes.for_user(engine, user.id) is None:
            if first_start and rep.connected_at_start:
                await connect_through_emulator(engine, settings, emulator_url, user)
                connected += 1
        else:
            # The emulator keeps its grants in memory, so after a restart it knows none of the
            # refresh tokens stored before: connect again (the same row and mailbox id), or
            # every mailbox of a restarted demo would need reconnecting.
            await connect_through_emulator(engine, settings, emulator_url, user)
        if await mailboxes.for_user(engine, user.id) is not None:
            # The demo's meetings show on records: every connected rep adds their calendar
            # too, through the same incremental consent (again after a restart, as above).
            await add_calendar_through_emulator(engine, settings, emulator_url, user)
        choice = DEMO_SHARING[rep.key]
        if choice.audience is Audience.SELECTED:
            choice = Sharing(
                choice.audience,
                choice.detail,
                teams=frozenset({team_ids[rep.team]} if rep.team in team_ids else set()),
            )
        await sharing.save_sharing(engine, user.id, user.role, choice)
    return connected
