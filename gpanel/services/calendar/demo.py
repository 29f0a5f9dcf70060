"""Adding a calendar through gpanel's real incremental consent against the emulator, no browser.

Like `ops.demo_setup.connect_through_emulator` for Gmail: queue the consent on the emulator's
control API, follow gpanel's own authorisation URL to the redirect with the code, and hand it
to the same `GoogleOAuth.finish` + `consent.add_calendar` the real callback uses. The demo
adds the reps' calendars this way, and so do the benchmark and tests that need no browser.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.accounts.google_oauth import GoogleOAuth, relax_oauthlib
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.accounts.vault import TokenVault
from gpanel.services.calendar.consent import add_calendar
from gpanel.settings import Settings


async def add_calendar_through_emulator(
    engine: AsyncEngine,
    settings: Settings,
    emulator_url: str,
    user: CurrentUser,
    *,
    write: bool = False,
) -> None:
    relax_oauthlib(settings)
    oauth = GoogleOAuth(settings)
    purpose = "calendar_write" if write else "calendar"
    start = oauth.start(purpose, login_hint=user.email, next_path="/mailbox")
    async with httpx.AsyncClient(timeout=30) as http:
        queued = await http.post(
            f"{emulator_url}/_emulator/oauth/next-consent", json={"email": user.email}
        )
        queued.raise_for_status()
        answer = await http.get(start.url, follow_redirects=False)
    location = answer.headers.get("location", "")
    if answer.status_code not in (302, 303) or "code=" not in location:
        raise RuntimeError(
            f"the emulator did not approve the calendar consent ({answer.status_code})"
        )
    result = await oauth.finish(purpose, start.cookie, dict(parse_qsl(urlsplit(location).query)))
    await add_calendar(engine, TokenVault(settings.fernet_keys), user, result, write=write)
