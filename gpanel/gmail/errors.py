"""Every way a Gmail call can fail, as one exception hierarchy.

Callers catch these and nothing else from `gpanel.gmail`: the client turns HTTP statuses,
Google's error bodies, transport failures and its own refusals into one of them. Each carries
`user_message`, the plain words the web layer can show ("what should the user do"), and never
any mail content: only the Gmail method, status, reason and ids appear in `str(error)`.

    GmailError
    ├── AuthError                 the mailbox's credentials do not work
    │   ├── TokenExpired          401 even after one refresh and retry
    │   ├── ReconnectRequired     the refresh token is dead (invalid_grant): the user reconnects
    │   └── ScopeMissing          403 insufficientPermissions: a scope was not granted
    ├── RateLimited               403 userRateLimitExceeded / rateLimitExceeded, 429 (retry_after)
    │   ├── TooManyConcurrent     429 "Too many concurrent requests for user": retry soon, smaller
    │   └── SendLimitExceeded     429 "Retry after <ISO time>" on send: the daily sending limit
    ├── BudgetExhausted           gpanel's own per-mailbox quota budget refused the call
    ├── NotFound                  404: the thread, message, label or attachment is gone
    │   └── HistoryExpired        404 on history.list: the start id is too old, resync fully
    ├── Conflict                  409 (for example a label name that exists)
    ├── BadRequest                400 and other 4xx that retrying will not fix
    │   ├── InvalidRequest        refused before sending (discovery validation, size caps)
    │   └── Forbidden             other 403s (domain policy, account disabled, ...)
    ├── Unavailable               5xx after the retries, transport errors, timeouts
    └── BadResponse               Google answered something we cannot parse
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx


class GmailError(Exception):
    """Base class. `status` is the HTTP status (0 when nothing was answered)."""

    user_message = "Gmail could not do that just now. Try again in a moment."

    def __init__(
        self,
        detail: str,
        *,
        status: int = 0,
        reason: str = "",
        method: str = "",
        user_message: str | None = None,
    ) -> None:
        # `detail` must never hold mail content: only method ids, statuses, reasons and ids.
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.reason = reason
        self.method = method
        if user_message is not None:
            self.user_message = user_message

    def __str__(self) -> str:
        where = f" [{self.method}]" if self.method else ""
        code = f" HTTP {self.status}" if self.status else ""
        why = f" {self.reason}" if self.reason else ""
        return f"{self.detail}{where}{code}{why}"


class AuthError(GmailError):
    user_message = "gpanel cannot sign in to this mailbox. Reconnect it from your settings."


class TokenExpired(AuthError):
    user_message = "Google refused gpanel's access token twice. Reconnect this mailbox."


class ReconnectRequired(AuthError):
    user_message = "Google no longer accepts gpanel's access to this mailbox: reconnect"


class ScopeMissing(AuthError):
    user_message = (
        "gpanel was not given the Gmail permission this needs. Reconnect the mailbox and "
        "allow every permission asked for."
    )

    def __init__(self, detail: str, *, scope: str = "", **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.scope = scope


class RateLimited(GmailError):
    user_message = "Gmail asked gpanel to slow down for this mailbox. Try again in a minute."

    def __init__(self, detail: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class TooManyConcurrent(RateLimited):
    """Refused because too many calls of the mailbox were in flight (batch parts included).

    Nothing was charged or done; the call can go again as soon as fewer are in flight, so it
    is retried after a short wait, not Google's seconds-long backoff for rate limits.
    """


class SendLimitExceeded(RateLimited):
    user_message = (
        "This mailbox has reached Gmail's sending limit. Sending works again after the time "
        "Gmail gave."
    )

    def __init__(self, detail: str, *, retry_at: datetime | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_at = retry_at


class BudgetExhausted(GmailError):
    user_message = "This mailbox is busy. gpanel will catch up shortly; try again in a minute."

    def __init__(self, detail: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class NotFound(GmailError):
    user_message = "That item is no longer in Gmail (it may have been deleted)."


class HistoryExpired(NotFound):
    user_message = "Gmail's change history is too old; gpanel is re-reading this mailbox."


class Conflict(GmailError):
    user_message = "That already exists in Gmail."


class BadRequest(GmailError):
    user_message = "Gmail refused that request."


class InvalidRequest(BadRequest):
    user_message = "gpanel could not send that request to Gmail."


class Forbidden(BadRequest):
    user_message = "Gmail does not allow that for this mailbox."


class Unavailable(GmailError):
    user_message = "Gmail is not answering right now. Try again in a minute."


class BadResponse(GmailError):
    user_message = "Gmail answered something gpanel did not understand. Try again."


# --- mapping Google's answers ----------------------------------------------------------------

_RATE_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
# Google's sending-limit message: "User-rate limit exceeded. Retry after 2026-05-01T10:00:00Z".
_RETRY_AFTER_ISO = re.compile(r"Retry after (\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)")
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(
    header: str | None, message: str, now: datetime | None = None
) -> tuple[float | None, datetime | None]:
    """Seconds to wait (and the instant, when Google named one) from a header or a message."""
    now = now or datetime.now(UTC)
    if header:
        value = header.strip()
        if value.isdigit():
            return float(value), None
        try:
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
            return max(0.0, (when - now).total_seconds()), when
        except (TypeError, ValueError):
            pass
    m = _RETRY_AFTER_ISO.search(message)
    if m:
        try:
            when = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
        except ValueError:
            return None, None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds()), when
    return None, None


def _google_error(body: bytes) -> tuple[str, str]:
    """(message, first reason) from Google's JSON error body; blanks when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    err = data.get("error")
    if isinstance(err, str):  # the OAuth endpoints' shape: {"error": "invalid_grant"}
        return str(data.get("error_description", "")), err
    if not isinstance(err, dict):
        return "", ""
    message = str(err.get("message", ""))
    reason = ""
    items = err.get("errors")
    if isinstance(items, list) and items and isinstance(items[0], dict):
        reason = str(items[0].get("reason", ""))
    return message, reason or str(err.get("status", ""))


def error_for_status(
    status: int, body: bytes, headers: httpx.Headers | Mapping[str, str], method: str
) -> GmailError:
    """The `GmailError` for a non-2xx answer to `method` (a discovery id such as
    `gmail.users.threads.get`, or `batch` for the envelope)."""
    message, reason = _google_error(body)
    kw: dict[str, Any] = {"status": status, "reason": reason, "method": method}
    retry_header = headers.get("retry-after") if headers else None
    if status == 401:
        return TokenExpired("Access token refused", **kw)
    if status == 403 and reason in _RATE_REASONS:
        wait, _ = parse_retry_after(retry_header, message)
        return RateLimited("Per-user rate limit", retry_after=wait, **kw)
    if status == 403 and reason in {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}:
        return ScopeMissing(
            "Scope not granted", scope="https://www.googleapis.com/auth/gmail.modify", **kw
        )
    if status == 403:
        return Forbidden("Forbidden", **kw)
    if status == 429:
        wait, when = parse_retry_after(retry_header, message)
        if when is not None and method == "gmail.users.messages.send":
            return SendLimitExceeded("Sending limit", retry_after=wait, retry_at=when, **kw)
        if "concurrent" in message.lower() and wait is None:
            return TooManyConcurrent("Too many concurrent requests", **kw)
        return RateLimited("Too many requests", retry_after=wait, **kw)
    if status == 404 and method == "gmail.users.history.list":
        return HistoryExpired("History id too old", **kw)
    if status == 404:
        return NotFound("Not found", **kw)
    if status == 409:
        return Conflict("Conflict", **kw)
    if status == 413:
        return InvalidRequest("Request too large", **kw)
    if status >= 500:
        return Unavailable("Server error", **kw)
    return BadRequest("Request refused", **kw)


def is_retryable(error: GmailError) -> bool:
    """Whether waiting and sending the same request again can succeed."""
    if isinstance(error, SendLimitExceeded):
        return False
    if isinstance(error, RateLimited):
        return True
    return isinstance(error, Unavailable) and (error.status == 0 or error.status >= 500)
