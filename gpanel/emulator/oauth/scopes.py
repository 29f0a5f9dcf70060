"""The OAuth scopes the emulator knows, how Google spells them back, and what they mean in words.

Google accepts the short sign-in scopes `email` and `profile` but grants (and reports in the
token response) their long forms, so the emulator normalises them the same way; that is why a
client comparing the scopes it asked for with the ones returned must relax oauthlib's scope
check, exactly as with Google. Gmail scopes are the ones a user may untick on the consent page
(Google's granular consent); the sign-in scopes are always granted with the account.
"""

from __future__ import annotations

from collections.abc import Iterable

OPENID = "openid"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
_GMAIL = "https://www.googleapis.com/auth/gmail."
MAIL_FULL = "https://mail.google.com/"
_CALENDAR = "https://www.googleapis.com/auth/calendar"

ALIASES = {"email": EMAIL, "profile": PROFILE}

# Google's consent-screen wording, kept short and plain.
DESCRIPTIONS: dict[str, str] = {
    OPENID: "Associate you with your personal info on Google",
    EMAIL: "See your primary Google Account email address",
    PROFILE: "See your personal info, including your name",
    MAIL_FULL: "Read, compose, send and permanently delete all your email from Gmail",
    _GMAIL + "modify": "Read, compose and send emails, and change their labels (no deleting)",
    _GMAIL + "readonly": "View your email messages and settings",
    _GMAIL + "metadata": "View your email message metadata such as labels and headers, "
    "but not the email body",
    _GMAIL + "labels": "See and edit your email labels",
    _GMAIL + "send": "Send email on your behalf",
    _GMAIL + "compose": "Manage drafts and send emails",
    _GMAIL + "insert": "Add emails into your Gmail mailbox",
    _GMAIL + "settings.basic": "See, edit, create or change your email settings and filters",
    _GMAIL + "settings.sharing": "Manage your sensitive mail settings, including who can "
    "manage your mail",
    # Calendar scopes gpanel asks for (incrementally, beside Gmail's), and the full one.
    _CALENDAR: "See, edit, share and permanently delete all the calendars you can access "
    "using Google Calendar",
    _CALENDAR + ".readonly": "See and download any calendar you can access using your "
    "Google Calendar",
    _CALENDAR + ".events.readonly": "View events on all your calendars",
    _CALENDAR + ".events": "View and edit events on all your calendars",
}

IDENTITY_SCOPES = frozenset({OPENID, EMAIL, PROFILE})


def normalise(raw: str | Iterable[str]) -> list[str]:
    """Scopes as Google grants them: aliases expanded, duplicates dropped, order kept."""
    items = raw.split() if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        scope = ALIASES.get(item, item)
        if scope not in out:
            out.append(scope)
    return out


def unknown(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if s not in DESCRIPTIONS]


def is_gmail(scope: str) -> bool:
    """A scope the user may untick on the consent page: Gmail's, and Calendar's beside them
    (Google's granular consent offers every data scope, not only the mail ones)."""
    return scope.startswith(_GMAIL) or scope == MAIL_FULL or scope.startswith(_CALENDAR)


def describe(scope: str) -> str:
    return DESCRIPTIONS.get(scope, scope)


def joined(scopes: Iterable[str]) -> str:
    """A space-separated scope string in a stable order (identity scopes first)."""
    order = {OPENID: 0, EMAIL: 1, PROFILE: 2}
    return " ".join(sorted(set(scopes), key=lambda s: (order.get(s, 3), s)))
