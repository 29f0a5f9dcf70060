"""`gpanel doctor`: the diagnostics page's checks, for the command line.

It checks what an operator can fix (settings, database revision, token keys) and then runs the
same connection test as the web page for every mailbox, printing plain lines. It returns the
lines and whether everything passed, so the CLI only prints and sets the exit code.
"""

from __future__ import annotations

import asyncio

import httpx

from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.ops.diagnostics import test_connection
from gpanel.store import migrate


async def run_doctor(
    ctx: AppContext, *, rotate_keys: bool = False, check_app: bool = False
) -> tuple[list[str], bool]:
    """`check_app`: also ask the running gpanel at the base URL whether it answers (for
    `gpanel doctor --demo`, which checks a demo that should be running)."""
    lines: list[str] = []
    ok = True
    s = ctx.settings
    lines.append(f"Mode: {s.mode.value}; gpanel at {s.base_url}; Gmail API at {s.gmail_api_base}")
    if check_app:
        answering = await _answers(ctx, s.base_url.rstrip("/") + "/healthz")
        ok = ok and answering
        lines.append(
            f"✓ gpanel answers at {s.base_url}."
            if answering
            else f"✗ gpanel does not answer at {s.base_url}: is `gpanel demo` running?"
        )
    url = s.resolved_database_url
    current, head = await asyncio.to_thread(migrate.current, url), migrate.head()
    if current != head:
        ok = False
        lines.append(
            f"✗ Database is at revision {current or 'empty'}, gpanel needs {head}: "
            "run `gpanel migrate`."
        )
    else:
        lines.append(f"✓ Database at revision {head}.")
    if rotate_keys:
        changed = await mailboxes.rotate_token_keys(ctx.engine, ctx.vault)
        lines.append(
            f"✓ Re-encrypted {changed} stored token(s) under the first key of "
            "GPANEL_TOKEN_KEYS; older keys can now be removed."
        )
    if current != head:
        return lines, ok
    boxes = await mailboxes.all_mailboxes(ctx.engine)
    if not boxes:
        lines.append("No mailbox is connected yet.")
    for box, owner in boxes:
        report = await test_connection(ctx, box)
        mark = "✓" if report.ok else "✗"
        ok = ok and report.ok
        lines.append(f"{mark} {box.email} ({owner})")
        for check in report.checks:
            lines.append(f"    {'✓' if check.ok else '✗'} {check.name}: {check.detail}")
        lines.append(
            f"    Last change seen: {report.history_id or '-'}; quota used in the "
            f"last minute: {report.quota_used_last_minute} of "
            f"{report.quota_target_per_minute} units"
        )
        if report.last_error:
            lines.append(f"    Last problem: {report.last_error}")
    return lines, ok


async def _answers(ctx: AppContext, url: str) -> bool:
    try:
        response = await ctx.http.get(url, timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200
