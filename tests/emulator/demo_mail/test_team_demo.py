"""The demo's team mailbox: support@ exists at the emulator with customer mail in its inbox,
the same bytes on every run, and is not one of the reps' mailboxes."""

from __future__ import annotations

import datetime as dt

from gpanel.demo import cast
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.demo_mail.team import CUSTOMER_MAIL, seed_team_demo
from gpanel.emulator.state import EmulatorState

TODAY = dt.date(2026, 3, 2)


def _seeded() -> EmulatorState:
    state = EmulatorState(EmulatorConfig())
    seed_team_demo(state, TODAY)
    return state


def test_support_has_customer_mail_and_is_deterministic() -> None:
    [(_, address)] = cast.TEAM_MAILBOXES
    assert address not in {r.email for r in cast.REPS}
    first, second = _seeded().mailbox(address), _seeded().mailbox(address)
    raws = [m.raw for m in first.newest_first()]
    assert len(raws) == len(CUSTOMER_MAIL)
    assert raws == [m.raw for m in second.newest_first()]
    assert all("INBOX" in m.label_ids for m in first.newest_first())
    assert b"Invoice 4471" in b"".join(raws)
