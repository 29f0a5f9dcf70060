"""From a thread to the CRM in one step: participants of the opened thread who are neither a
contact nor a colleague are offered as new contacts, of the record's company when their domain
is one of its domains.

`unknown_people` is what the thread page lists; `add_contact` (POST `.../add-contact`) opens the
thread through the same grant as the page (so only a participant the viewer may see can be
added), then creates the contact through `services.records.access.create_record`, the JSON
API's own function: the org's own addresses and companies the viewer may not open are refused
there, and the refusal is shown on the thread page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gpanel.crm.errors import InvalidRecord, RecordNotFound
from gpanel.crm.models import Company, Contact, Deal, RecordType
from gpanel.services.records import access as records
from gpanel.services.threads.view import ThreadPage
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.threads.grant import base_url, grant_for, load_page, path_params


@dataclass(frozen=True)
class Offer:
    email: str
    first_name: str
    last_name: str
    company_id: int | None
    company_name: str | None


def _at(email: str, domains: frozenset[str] | tuple[str, ...]) -> bool:
    host = email.rpartition("@")[2].lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def unknown_people(
    page: ThreadPage, own_domains: frozenset[str], company: Company | None
) -> list[Offer]:
    """Participants with an address, not a contact, not a colleague, not the org's own."""
    found: dict[str, Offer] = {}
    for m in page.messages:
        for p in (*m.sender, *m.to, *m.cc, *m.bcc):
            email = p.email.strip().lower()
            if not email or p.contact_id or p.user_name or _at(email, own_domains):
                continue
            if email in found:
                continue
            first, _, last = (p.name or "").strip().partition(" ")
            ours = company is not None and _at(email, company.domains)
            found[email] = Offer(
                email,
                first,
                last,
                company.id if ours and company else None,
                company.name if ours and company else None,
            )
    return list(found.values())


async def record_company(request: Request, kind: RecordType, record_id: int) -> Company | None:
    """The company of the record the thread is opened from (itself for a company)."""
    ctx, viewer = ctx_of(request), require_user(request)
    try:
        record = await records.get_record(ctx.engine, viewer, kind, record_id)
        if isinstance(record, Company):
            return record
        if isinstance(record, Contact | Deal) and record.company_id is not None:
            found = await records.get_record(
                ctx.engine, viewer, RecordType.COMPANY, record.company_id
            )
            return found if isinstance(found, Company) else None
    except (records.Forbidden, RecordNotFound):
        return None
    return None


async def add_contact(request: Request) -> Response:
    viewer = require_user(request)
    ctx = ctx_of(request)
    kind, record_id, mailbox_id, thread_id = path_params(request)
    grant = await grant_for(request, viewer, kind, record_id, mailbox_id, thread_id)
    page = await load_page(request, grant)
    back = base_url(grant.record_type, record_id, mailbox_id, thread_id)
    form = await request.form()
    email = str(form.get("email") or "").strip().lower()
    company = await record_company(request, grant.record_type, record_id)
    offer = next(
        (o for o in unknown_people(page, ctx.settings.own_domains, company) if o.email == email),
        None,
    )
    if offer is None:
        return RedirectResponse(
            back + "?error=" + quote("That address is not an unknown participant of this thread."),
            status_code=303,
        )
    first = str(form.get("first_name") or offer.first_name).strip()[:200]
    last = str(form.get("last_name") or offer.last_name).strip()[:200]
    values: dict[str, object] = {"first_name": first, "last_name": last, "emails": [email]}
    if offer.company_id is not None:
        values["company_id"] = offer.company_id
    try:
        made = await records.create_record(
            ctx.engine, viewer, RecordType.CONTACT, values, org_domains=ctx.settings.own_domains
        )
    except InvalidRecord as exc:
        return RedirectResponse(back + "?error=" + quote(str(exc)[:300]), status_code=303)
    return RedirectResponse(f"{back}?added={made.id}", status_code=303)
