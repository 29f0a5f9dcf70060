"""Record pages: /contacts, /companies, /deals (lists), /contacts/{id}, /companies/{id},
/deals/{id} (a record with its related records), and /search?q=.

Each record page carries an empty `<section id="mail-panel">` with the record's type and id as
data attributes: the mail panel fills it. Handlers are thin; the data comes from
`gpanel.services.records.pages` and `gpanel.services.records.access`.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.crm.categories import org_today
from gpanel.crm.errors import RecordNotFound
from gpanel.crm.models import RecordType
from gpanel.services.records import access as records
from gpanel.services.records import listing
from gpanel.services.records import pages as record_pages
from gpanel.web.guard.viewer import ctx_of, require_user
from gpanel.web.templating import render


def _kind(request: Request) -> RecordType:
    """The record type of a list or record page, from its first URL segment (`/deals/7`)."""
    return RecordType.parse(request.url.path.strip("/").split("/")[0])


async def record_list(request: Request) -> Response:
    """A list page sorted by a column (`?sort=name|company|owner|updated&dir=asc|desc`) and
    paged (`?page=2`)."""
    viewer = require_user(request)
    kind = _kind(request)
    params = request.query_params
    q = params.get("q", "").strip() or None
    sort, descending = listing.parse_sort(kind, params.get("sort"), params.get("dir"))
    number = params.get("page", "1")
    if not number.isdigit() or not 1 <= int(number) <= listing.MAX_PAGE:
        raise HTTPException(400, "That page link is not valid.")
    page = await listing.sorted_page(
        ctx_of(request).engine,
        viewer,
        kind,
        sort=sort,
        descending=descending,
        q=q,
        page=int(number),
    )
    names = await record_pages.list_names(ctx_of(request).engine, list(page.items))
    return render(
        request,
        "records/list.html",
        {
            "names": names,
            "kind": kind.plural,
            "title": kind.heading,
            "items": page.items,
            "q": q or "",
            "sort": page.sort,
            "descending": page.descending,
            "page_number": page.page,
            "has_next": page.has_next,
        },
    )


async def record_detail(request: Request) -> Response:
    viewer = require_user(request)
    kind = _kind(request)
    ctx = ctx_of(request)
    today = org_today(ctx.settings.org_timezone)
    try:
        page = await record_pages.record_page(
            ctx.engine, viewer, kind, int(request.path_params["id"]), today
        )
    except RecordNotFound:
        raise HTTPException(404, "There is no such record, or it was deleted.") from None
    except records.Forbidden:
        raise HTTPException(403, "You do not have access to this record.") from None
    return render(
        request,
        f"records/{page.record_type.value}.html",
        {
            "page": page,
            "r": page.record,
            # After an edit on the page (web/records/edit.py): what was saved or refused.
            "saved": request.query_params.get("notice") == "saved",
            "edit_error": request.query_params.get("error", "")[:300],
        },
    )


async def search(request: Request) -> Response:
    viewer = require_user(request)
    q = request.query_params.get("q", "").strip()
    hits = await record_pages.search(ctx_of(request).engine, viewer, q) if q else []
    return render(request, "records/search.html", {"q": q, "hits": hits})


routes: list[BaseRoute] = [
    Route("/search", search, name="search"),
    *(Route(f"/{k.plural}", record_list, name=f"{k.plural}_list") for k in RecordType),
    *(
        Route(f"/{k.plural}/{{id:int}}", record_detail, name=f"{k.plural}_detail")
        for k in RecordType
    ),
]
