"""gpanel's Gmail boundary: the only code that speaks to Gmail (see client.py to start).

The names below are the whole public surface; services import them from here.
"""

from gpanel.gmail.budget import InProcessBudget, Priority, QuotaBudget
from gpanel.gmail.client import GmailClient
from gpanel.gmail.costs import CostTable, cost_table
from gpanel.gmail.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    BudgetExhausted,
    Conflict,
    Forbidden,
    GmailError,
    HistoryExpired,
    InvalidRequest,
    NotFound,
    RateLimited,
    ReconnectRequired,
    ScopeMissing,
    SendLimitExceeded,
    TokenExpired,
    TooManyConcurrent,
    Unavailable,
)
from gpanel.gmail.history import HistoryPage
from gpanel.gmail.mailbox import MailboxClient
from gpanel.gmail.oauth import (
    SingleFlight,
    TokenProvider,
    TokenResponse,
    refresh_access_token,
    revoke_token,
)
from gpanel.gmail.query import participants_query
from gpanel.gmail.retry import RetryPolicy
from gpanel.gmail.stats import CallStats, MailboxCounters, StatsSnapshot

__all__ = [
    "AuthError",
    "BadRequest",
    "BadResponse",
    "BudgetExhausted",
    "CallStats",
    "Conflict",
    "CostTable",
    "Forbidden",
    "GmailClient",
    "GmailError",
    "HistoryExpired",
    "HistoryPage",
    "InProcessBudget",
    "InvalidRequest",
    "MailboxClient",
    "MailboxCounters",
    "NotFound",
    "Priority",
    "QuotaBudget",
    "RateLimited",
    "ReconnectRequired",
    "RetryPolicy",
    "ScopeMissing",
    "SendLimitExceeded",
    "SingleFlight",
    "StatsSnapshot",
    "TokenExpired",
    "TokenProvider",
    "TokenResponse",
    "TooManyConcurrent",
    "Unavailable",
    "cost_table",
    "participants_query",
    "refresh_access_token",
    "revoke_token",
]
