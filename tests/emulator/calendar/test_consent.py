"""The emulator's consent page knows the Calendar scopes gpanel asks for incrementally: it
describes them in Google's words, lets the user untick them like Gmail's, and with
include_granted_scopes the new token holds Gmail's earlier grant beside the calendar one."""

from __future__ import annotations

import httpx

from tests.emulator.calendar.conftest import CAL_READ
from tests.emulator.oauth.test_server import (  # noqa: F401 (the fixture)
    ALICE,
    MODIFY,
    connect,
    consent_form,
    gmail_profile,
    make_flow,
    oauth,
    redirect_params,
)
from tests.support.emulator import RunningEmulator


def _consent(oauth: RunningEmulator, tick_calendar: bool) -> dict[str, object]:  # noqa: F811
    oauth.config.auto_consent = False
    flow = make_flow(oauth, scopes=["openid", "email", CAL_READ])
    url, _ = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true", login_hint=ALICE
    )
    with httpx.Client() as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text[:300]
        assert "See and download any calendar you can access" in page.text
        form = consent_form(page.text)
        assert [i["value"] for i in form.inputs if i.get("name") == "scope"] == [CAL_READ]
        token = next(i["value"] for i in form.inputs if i.get("name") == "form_token")
        data = {"form_token": token, "account": ALICE, "decision": "approve"}
        if tick_calendar:
            data["scope"] = CAL_READ
        answer = browser.post(oauth.url + form.action, data=data)
    return dict(flow.fetch_token(code=redirect_params(answer)["code"]))


def _events(oauth: RunningEmulator, access_token: str) -> int:  # noqa: F811
    return httpx.get(
        f"{oauth.url}/calendar/v3/calendars/primary/events",
        headers={"Authorization": f"Bearer {access_token}"},
    ).status_code


def test_calendar_added_incrementally_keeps_gmail(oauth: RunningEmulator) -> None:  # noqa: F811
    """Gmail first, then the calendar ticked: the token holds both and reads both."""
    connect(oauth, scopes=["openid", "email", MODIFY])
    token = _consent(oauth, tick_calendar=True)
    assert {MODIFY, CAL_READ} <= set(token["scope"])  # type: ignore[arg-type]
    assert _events(oauth, str(token["access_token"])) == 200
    assert gmail_profile(oauth, str(token["access_token"])).status_code == 200


def test_calendar_unticked_is_partial_consent(oauth: RunningEmulator) -> None:  # noqa: F811
    """The calendar unticked: no calendar scope, Calendar answers 403, Gmail still works."""
    connect(oauth, scopes=["openid", "email", MODIFY])
    token = _consent(oauth, tick_calendar=False)
    assert CAL_READ not in token["scope"] and MODIFY in token["scope"]  # type: ignore[operator]
    assert _events(oauth, str(token["access_token"])) == 403
    assert gmail_profile(oauth, str(token["access_token"])).status_code == 200
