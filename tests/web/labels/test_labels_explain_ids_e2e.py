"""Labels explain with an id the person typed wrong, over real HTTP on both engines: an unknown
message id and a malformed one answer a 4xx saying there is no such message in the mailbox,
not a 502 blaming Gmail; a real id is still explained; Gmail actually failing is still a 502."""

from __future__ import annotations

from tests.support.stack import Stack, seen

REP = "carla@brightwave.example"
NO_SUCH = "No message with that id in your mailbox."


def test_mistyped_message_ids_get_a_clear_4xx(stack: Stack) -> None:
    """Unknown -> 404, malformed -> 400, both with the plain sentence; a real id -> 200."""
    browser = stack.sign_in(REP)
    stack.connect(browser, REP)
    raw = f"From: Someone <someone@elsewhere.example>\r\nTo: {REP}\r\nSubject: Hi\r\n\r\nhi\r\n"
    real = stack.emulator.insert(REP, raw.encode())["id"]

    unknown = browser.get("/settings/labels/explain?message=0123456789abcdef")
    assert unknown.status_code == 404 and NO_SUCH in seen(unknown)
    assert "no longer in Gmail" not in seen(unknown)
    typo = browser.get(f"/settings/labels/explain?message={real[:-1]}")
    assert typo.status_code == 404 and NO_SUCH in seen(typo)
    malformed = browser.get("/settings/labels/explain?message=not-an-id!")
    assert malformed.status_code == 400 and NO_SUCH in seen(malformed)
    found = browser.get(f"/settings/labels/explain?message={real}")
    assert found.status_code == 200 and NO_SUCH not in seen(found)


def test_gmail_failing_is_still_a_502(stack: Stack) -> None:
    """When Gmail itself fails (500s from the emulator), explain says so with a 502."""
    browser = stack.sign_in(REP)
    stack.connect(browser, REP)
    stack.emulator.control.post(
        "/_emulator/faults",
        json={"user": REP, "method": "gmail.users.messages.get", "kind": "500", "count": 50},
    ).raise_for_status()
    failing = browser.get("/settings/labels/explain?message=0123456789abcdef")
    stack.emulator.control.delete("/_emulator/faults")
    assert failing.status_code == 502 and NO_SUCH not in seen(failing)
