"""Free-mail domains: addresses there belong to people, never to a company.

docs/behaviour.md, "CRM addresses": free-mail domains are never company domains. This is the list
gpanel uses for that rule (company domains, the company mail query, CSV import of company domains).
The demo cast keeps a smaller copy for the emulator, which may not import gpanel.crm; a test checks
the cast's copy is a subset of this one so they cannot drift apart.
"""

from __future__ import annotations

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "aol.com",
        "fastmail.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hey.com",
        "hotmail.co.uk",
        "hotmail.com",
        "hotmail.de",
        "hotmail.fr",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "outlook.de",
        "pm.me",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "t-online.de",
        "web.de",
        "yahoo.co.uk",
        "yahoo.com",
        "yahoo.de",
        "yahoo.fr",
        "yandex.ru",
        "zoho.com",
    }
)


def is_free_mail(domain: str) -> bool:
    return domain.strip().lower() in FREE_MAIL_DOMAINS
