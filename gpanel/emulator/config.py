"""How an emulator instance behaves: quota regime, concurrency, latency, OAuth switches.

One `EmulatorConfig` is given to `create_emulator()`; the control API (`/_emulator/...`) can
change the mutable parts at run time (latency, quota budget, faults), which live in the
emulator's state rather than here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EmulatorConfig:
    # The URL the emulator is reachable at; used in the OpenID discovery document and id_tokens.
    base_url: str = "http://127.0.0.1:8025"
    # "2026" (6,000 units/user/minute, messages.get = 20) or "legacy" (15,000, messages.get = 5).
    quota_regime: str = "2026"
    user_quota_per_minute: int | None = None  # None: the regime's figure
    # Calls of one user in flight at once, batch parts included; beyond it 429 "Too many
    # concurrent requests for user". Google publishes no number: 40 reproduces the public
    # reports together (60 of 100 parts refused, 25-part batches passing; docs/emulator.md,
    # "Concurrency").
    max_concurrent_per_user: int = 40
    latency_ms: float = 0.0  # added to every API request
    jitter_ms: float = 0.0
    history_retention: int = 100_000  # history records kept per mailbox before older ids 404
    # How history.list's `labelId` filters (docs/emulator.md, "History modes"): "message" keeps
    # a change when the message had the label right after it; "thread" when any message of its
    # thread has the label at listing time (reported: misses mail archived or filtered on
    # arrival, includes sent replies in inbox threads).
    history_label_filter: str = "message"
    # How from:/to:/cc:/bcc: match: "strict" by words as Gmail does, "loose" also by substring
    # (returns more; gpanel must re-check every hit either way).
    search_mode: str = "strict"
    # OAuth
    auto_consent: bool = False  # approve the consent page without a browser (tests only)
    testing_app: bool = False  # refresh tokens expire after 7 days, like unverified apps
    access_token_ttl_seconds: int = 3600
    # Where users.watch push notifications are POSTed (None: watch is accepted, nothing is sent).
    push_endpoint: str | None = None
    # Authenticated push (docs/gmail-facts.md, "Push notifications"): with an audience, each
    # push carries `Authorization: Bearer <OIDC JWT>` signed by the emulator's key (the one at
    # /oauth2/v1/certs), issuer https://accounts.google.com, this audience, and `email` the
    # subscription's service account. None: unauthenticated push, no token.
    push_audience: str | None = None
    push_service_account: str = "gmail-push@emulator-project.iam.gserviceaccount.com"
    # Busy mailbox mode (gmail_api/busy.py): above 0, every mailbox gets one background change
    # (unrelated mail, a read, a draft) per interval, so its historyId moves all day.
    busy_interval_ms: float = 0.0
    seed: str | None = None  # "demo" generates the demo mailboxes at start
