"""Per-mailbox diagnostics: is the token good, which scopes, can Gmail be reached, how much
quota did gpanel use in the last minute, and what went wrong last, in plain words.

`test_connection` makes at most two calls to Google: one token refresh (which proves the
refresh token and reports the granted scopes) and one `users.getProfile` (1 quota unit, which
proves Gmail answers and gives the mailbox's current history id). The web page, the admin
overview and `gpanel doctor` all print the same `ConnectionReport`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gpanel.gmail.errors import GmailError, ReconnectRequired
from gpanel.services.accounts.google_oauth import GMAIL_MODIFY
from gpanel.services.accounts.mailboxes import Mailbox, record_error, record_history_id
from gpanel.services.context import AppContext


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class ConnectionReport:
    mailbox_id: int
    email: str
    status: str
    checks: list[Check] = field(default_factory=list)
    history_id: str | None = None
    quota_used_last_minute: int = 0
    quota_target_per_minute: int = 0
    last_error: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def quota_snapshot(ctx: AppContext, mailbox: Mailbox) -> tuple[int, int]:
    return ctx.budget.used(mailbox.key), ctx.budget.target


async def test_connection(ctx: AppContext, mailbox: Mailbox) -> ConnectionReport:
    report = ConnectionReport(
        mailbox.id, mailbox.email, mailbox.status, last_error=mailbox.last_error
    )
    try:
        await ctx.tokens.refresh(mailbox.key)
        report.checks.append(Check("Access token", True, "Google accepted gpanel's access."))
    except ReconnectRequired as exc:
        report.checks.append(Check("Access token", False, exc.user_message))
        report.status = "needs_reconnect"
    except GmailError as exc:
        report.checks.append(Check("Access token", False, exc.user_message))
    scopes = ctx.tokens.granted.get(mailbox.key, mailbox.scopes)
    has_modify = GMAIL_MODIFY in scopes or "https://mail.google.com/" in scopes
    report.checks.append(
        Check(
            "Permissions",
            has_modify,
            "Read, send and label mail (gmail.modify) granted."
            if has_modify
            else "gmail.modify is not granted: reconnect and allow Gmail access on Google's page.",
        )
    )
    if report.checks[0].ok:
        started = time.perf_counter()
        try:
            profile = await ctx.gmail.mailbox(mailbox.key).profile()
            elapsed = (time.perf_counter() - started) * 1000
            report.history_id = str(profile.get("historyId", "")) or None
            report.checks.append(Check("Gmail", True, f"Gmail answered in {elapsed:.0f} ms."))
            if report.history_id:
                await record_history_id(ctx.engine, mailbox.id, report.history_id)
        except GmailError as exc:
            report.checks.append(Check("Gmail", False, exc.user_message))
            await record_error(
                ctx.engine,
                mailbox.id,
                exc.user_message,
                needs_reconnect=isinstance(exc, ReconnectRequired),
            )
    report.quota_used_last_minute, report.quota_target_per_minute = quota_snapshot(ctx, mailbox)
    return report
