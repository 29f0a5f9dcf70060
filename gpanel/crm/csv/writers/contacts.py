"""Contacts and leads from a CSV chunk.

A row matches a stored contact by external id, then by any of its addresses; an address that
belongs to another contact fails that row. A row matched by address only may give the contact
its external id, but never replace another one: a row whose address belongs to a contact with a
different external id is a different person, and fails (it used to rename that contact). A row
that would create a contact with neither a name nor an address fails too (a row with only an
external id can only update). The file's addresses replace the contact's list (in the file's
order) only when the row has any.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.csv.rows import ChunkResult, ContactRow, RowIssue
from gpanel.crm.csv.writers.common import coalesce_update, insert_returning, utc_now
from gpanel.crm.csv.writers.companies import CompanyResolver
from gpanel.crm.emails import folded
from gpanel.store.tables import contact_emails, contacts


async def write_contacts(
    conn: AsyncConnection, rows: list[ContactRow], resolver: CompanyResolver, default_kind: str
) -> ChunkResult:
    out = ChunkResult()
    now = utc_now()
    exts = {r.external_id for r in rows if r.external_id}
    emails = {e for r in rows for e in r.emails}
    by_ext = (
        dict(
            (
                await conn.execute(
                    select(contacts.c.external_id, contacts.c.id).where(
                        contacts.c.external_id.in_(exts)
                    )
                )
            ).all()
        )
        if exts
        else {}
    )
    owner_of: dict[str, int] = {}
    email_list = sorted(emails)
    for start in range(0, len(email_list), 500):
        found = await conn.execute(
            select(contact_emails.c.email, contact_emails.c.contact_id).where(
                contact_emails.c.email.in_(email_list[start : start + 500])
            )
        )
        owner_of.update(dict(found.all()))
    holders = set(owner_of.values())
    ext_of: dict[int, str | None] = (
        dict(
            (
                await conn.execute(
                    select(contacts.c.id, contacts.c.external_id).where(contacts.c.id.in_(holders))
                )
            ).all()
        )
        if holders
        else {}
    )
    accepted: list[tuple[int | None, ContactRow]] = []
    for r in rows:
        target = by_ext.get(r.external_id) if r.external_id else None
        owners = {owner_of[e] for e in r.emails if e in owner_of}
        if target is None and len(owners) == 1:
            holder = owners.pop()
            theirs = ext_of.get(holder)
            if r.external_id and theirs and theirs != r.external_id:
                clash = next(e for e in r.emails if owner_of.get(e) == holder)
                reason = (
                    f"{clash} belongs to contact {holder}, whose external id is {theirs}, "
                    f"not {r.external_id}"
                )
                out.failed.append(RowIssue(r.line, "email", reason))
                continue
            target = holder
        if target is None and not r.emails and not (r.first_name or r.last_name):
            reason = "a new contact needs a name or an email address"
            out.failed.append(RowIssue(r.line, "email", reason))
            continue
        others = owners - {target} if target is not None else owners
        if others:
            clash = next(e for e in r.emails if owner_of.get(e) in others)
            reason = f"{clash} already belongs to another contact ({owner_of[clash]})"
            out.failed.append(RowIssue(r.line, "email", reason))
            continue
        accepted.append((target, r))
    company_of = await resolver.resolve(conn, now, [r for _, r in accepted])
    new_rows = [r for t, r in accepted if t is None]
    ids = await insert_returning(
        conn,
        contacts,
        [
            {
                "external_id": r.external_id,
                "kind": r.kind or default_kind,
                "first_name": r.first_name or "",
                "last_name": r.last_name or "",
                "title": r.title or "",
                "company_id": company_of[r.line],
                "owner_id": r.owner_id,
                "created_at": now,
                "updated_at": now,
            }
            for r in new_rows
        ],
    )
    updates = [(t, r) for t, r in accepted if t is not None]
    if updates:
        cols = ["external_id", "kind", "first_name", "last_name", "title", "company_id", "owner_id"]
        await conn.execute(
            coalesce_update(contacts, cols),
            [
                {
                    "b_id": t,
                    "b_external_id": r.external_id,
                    "b_kind": r.kind,
                    "b_first_name": r.first_name,
                    "b_last_name": r.last_name,
                    "b_title": r.title,
                    "b_company_id": company_of[r.line],
                    "b_owner_id": r.owner_id,
                    "b_updated_at": now,
                }
                for t, r in updates
            ],
        )
    pairs = [(t, r) for t, r in list(zip(ids, new_rows, strict=True)) + updates if r.emails]
    if pairs:
        await conn.execute(
            delete(contact_emails).where(contact_emails.c.contact_id.in_([t for t, _ in pairs]))
        )
        await conn.execute(
            insert(contact_emails),
            [
                {"email": e, "folded": folded(e), "contact_id": t, "position": i}
                for t, r in pairs
                for i, e in enumerate(r.emails)
            ],
        )
    out.created, out.updated = len(new_rows), len(updates)
    return out
