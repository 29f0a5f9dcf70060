"""The demo organisation: reps, customer companies, contacts and deals, as plain data.

Both halves of `gpanel demo` read this one definition: the Google emulator generates the reps'
mailboxes from it, and the CRM seeder loads the same people and deals into gpanel's store, so
every demo thread has a record to show up on. Tests and benchmarks reuse it too.

Dates are relative: a deal's closing date is `months` calendar months from the month of
`today` on day `day` (clamped to the month's length), so "Deals Closing This Month" always has
members whenever the demo runs. Everything here is data; nothing does I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

ORG_NAME = "Brightwave"
ORG_DOMAIN = "brightwave.example"

STAGES: tuple[str, ...] = (
    "Qualification",
    "Needs Analysis",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
CLOSED_WON = "Closed Won"
CLOSED_LOST = "Closed Lost"

# Free-mail domains never count as company domains (docs/behaviour.md, "CRM addresses").
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "gmx.de",
        "aol.com",
        "live.com",
    }
)


@dataclass(frozen=True)
class Alias:
    """A Gmail send-as alias of a rep's mailbox (users.settings.sendAs)."""

    email: str
    name: str
    signature: str = ""  # HTML, as Gmail keeps it
    verified: bool = True


@dataclass(frozen=True)
class Rep:
    key: str
    name: str
    email: str
    role: str  # admin | manager | rep
    team: str
    # The demo connects this rep's Gmail at its first start; one rep is left to connect it
    # themselves, so the onboarding path (Connect Gmail, Google's consent) is there to try.
    connected_at_start: bool = True
    aliases: tuple[Alias, ...] = ()


@dataclass(frozen=True)
class Company:
    key: str
    name: str
    domains: tuple[str, ...]
    owner: str  # rep key


@dataclass(frozen=True)
class Person:
    """A contact (or a lead when `lead` is true). The first address is the primary one."""

    key: str
    first_name: str
    last_name: str
    emails: tuple[str, ...]
    company: str | None  # company key
    owner: str  # rep key
    title: str = ""
    lead: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Deal:
    key: str
    name: str
    amount: int
    stage: str
    months: int  # closing month offset from today's month
    day: int
    owner: str
    company: str
    primary_contact: str
    roles: tuple[tuple[str, str], ...] = field(default=())  # (person key, role)

    def closing_date(self, today: dt.date) -> dt.date:
        month_index = today.month - 1 + self.months
        year, month = today.year + month_index // 12, month_index % 12 + 1
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, min(self.day, last))


TEAMS: tuple[str, ...] = ("East", "West")

REPS: tuple[Rep, ...] = (
    Rep("alice", "Alice Moreau", f"alice@{ORG_DOMAIN}", "admin", "East"),
    Rep("ben", "Ben Okafor", f"ben@{ORG_DOMAIN}", "manager", "East"),
    Rep(
        "carla",
        "Carla Reyes",
        f"carla@{ORG_DOMAIN}",
        "rep",
        "East",
        aliases=(
            Alias(
                f"sales@{ORG_DOMAIN}",
                "Brightwave Sales",
                "<div><b>Carla Reyes</b> | Brightwave Sales<br>+1 555 0100</div>",
            ),
            # Added in Gmail but never confirmed: gpanel must not offer it.
            Alias(f"carla.r@{ORG_DOMAIN}", "Carla R.", verified=False),
        ),
    ),
    Rep("dev", "Dev Patel", f"dev@{ORG_DOMAIN}", "manager", "West"),
    Rep("emma", "Emma Lindqvist", f"emma@{ORG_DOMAIN}", "rep", "West", connected_at_start=False),
)

COMPANIES: tuple[Company, ...] = (
    Company("acme", "Acme Logistics", ("acme-logistics.example", "acme.example"), "carla"),
    Company("globex", "Globex Manufacturing", ("globex.example",), "ben"),
    Company("initech", "Initech Software", ("initech.example",), "emma"),
    Company("umbrella", "Umbrella Health", ("umbrella-health.example",), "dev"),
    Company("stark", "Stark Renewables", ("stark-renewables.example",), "carla"),
    Company("wayne", "Wayne Hospitality", ("wayne-hospitality.example",), "emma"),
    Company("tyrell", "Tyrell Biotech", ("tyrell.example",), "dev"),
    Company("hooli", "Hooli Retail", ("hooli.example",), "ben"),
    Company("soylent", "Soylent Foods", ("soylent.example",), "alice"),
    Company("vandelay", "Vandelay Industries", ("vandelay.example",), "carla"),
)

# Shared Gmail accounts of the demo org (team mailboxes, issue 14). They exist at the emulator
# with customer mail but are never connected at start: the admin connects one through the
# consent page (Team mailboxes > Manage).
TEAM_MAILBOXES: tuple[tuple[str, str], ...] = (("Brightwave Support", f"support@{ORG_DOMAIN}"),)

PEOPLE: tuple[Person, ...] = (
    Person(
        "maria",
        "Maria",
        "Schneider",
        ("maria.schneider@acme-logistics.example", "m.schneider@acme.example"),
        "acme",
        "carla",
        "Head of Procurement",
    ),
    Person("tom", "Tom", "Baker", ("tom.baker@acme-logistics.example",), "acme", "carla", "CFO"),
    Person(
        "yuki",
        "Yuki",
        "Tanaka",
        ("yuki@globex.example", "yuki.tanaka@gmail.com"),
        "globex",
        "ben",
        "Operations Director",
    ),
    Person("omar", "Omar", "Haddad", ("omar.haddad@globex.example",), "globex", "ben", "IT Lead"),
    Person(
        "lena",
        "Lena",
        "Fischer",
        ("lena.fischer@initech.example",),
        "initech",
        "emma",
        "VP Engineering",
    ),
    Person("raj", "Raj", "Iyer", ("raj.iyer@initech.example",), "initech", "emma", "Buyer"),
    Person(
        "sofia",
        "Sofia",
        "Costa",
        ("sofia.costa@umbrella-health.example",),
        "umbrella",
        "dev",
        "COO",
    ),
    Person(
        "jonas",
        "Jonas",
        "Berg",
        ("jonas.berg@stark-renewables.example",),
        "stark",
        "carla",
        "Project Manager",
    ),
    Person(
        "chloe",
        "Chloé",
        "Dubois",
        ("chloe.dubois@wayne-hospitality.example",),
        "wayne",
        "emma",
        "General Manager",
    ),
    Person(
        "kenji", "Kenji", "Mori", ("kenji.mori@tyrell.example",), "tyrell", "dev", "Lab Director"
    ),
    Person(
        "priya", "Priya", "Nair", ("priya.nair@hooli.example",), "hooli", "ben", "Category Manager"
    ),
    Person("ana", "Ana", "Lima", ("ana.lima@soylent.example",), "soylent", "alice", "CEO"),
    Person(
        "zoe",
        "Zoë",
        "Novak",
        ("zoe.novak@vandelay.example",),
        "vandelay",
        "carla",
        "Import Manager",
    ),
    # A lead on free mail, no company yet.
    Person("sam", "Sam", "Whitfield", ("sam.whitfield@outlook.com",), None, "dev", lead=True),
    # A contact with no deals at all.
    Person(
        "nina", "Nina", "Petrova", ("nina.petrova@globex.example",), "globex", "ben", "Assistant"
    ),
)

DEALS: tuple[Deal, ...] = (
    # Closing this month (open).
    Deal(
        "acme-fleet",
        "Acme fleet tracking rollout",
        48_000,
        "Negotiation",
        0,
        20,
        "carla",
        "acme",
        "maria",
        (("tom", "Decision maker"),),
    ),
    Deal(
        "initech-licences",
        "Initech 200 seats",
        36_500,
        "Proposal",
        0,
        28,
        "emma",
        "initech",
        "lena",
        (("raj", "Purchasing"),),
    ),
    Deal("hooli-pilot", "Hooli store pilot", 12_000, "Negotiation", 0, 1, "ben", "hooli", "priya"),
    # Open, closing later.
    Deal(
        "globex-erp",
        "Globex ERP integration",
        120_000,
        "Needs Analysis",
        2,
        15,
        "ben",
        "globex",
        "yuki",
        (("omar", "Technical evaluator"),),
    ),
    Deal(
        "stark-solar",
        "Stark solar monitoring",
        54_000,
        "Qualification",
        1,
        10,
        "carla",
        "stark",
        "jonas",
    ),
    # Open, closing date already past (still open: counts as Open Deals, not this month).
    Deal("tyrell-lab", "Tyrell lab sensors", 22_000, "Proposal", -1, 25, "dev", "tyrell", "kenji"),
    # Won.
    Deal(
        "umbrella-2025",
        "Umbrella clinics 2025",
        80_000,
        "Closed Won",
        -6,
        12,
        "dev",
        "umbrella",
        "sofia",
    ),
    Deal(
        "soylent-won", "Soylent cold chain", 31_000, "Closed Won", -2, 3, "alice", "soylent", "ana"
    ),
    Deal("wayne-won", "Wayne hotels wifi", 18_000, "Closed Won", -3, 18, "emma", "wayne", "chloe"),
    # Lost only.
    Deal(
        "vandelay-lost",
        "Vandelay import tracking",
        9_000,
        "Closed Lost",
        -1,
        5,
        "carla",
        "vandelay",
        "zoe",
    ),
    # Several deals on one contact: won before, open again now (Open Deals wins over Customers).
    Deal(
        "umbrella-2026", "Umbrella expansion", 95_000, "Proposal", 3, 30, "dev", "umbrella", "sofia"
    ),
)


def rep(key: str) -> Rep:
    return next(r for r in REPS if r.key == key)


def company(key: str) -> Company:
    return next(c for c in COMPANIES if c.key == key)


def person(key: str) -> Person:
    return next(p for p in PEOPLE if p.key == key)
