"""Issue 10, hole 6: the labels preview and explain pages show CRM data (contacts, deals,
stages, closing dates) only for records the viewer may open. A contact owned by a colleague of
another team is not listed in the preview, explaining it by id answers exactly like an id that
does not exist (ids cannot be walked), and a message from it, or a visible contact whose
deciding deal the viewer may not open, is explained without naming what is hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from gpanel.crm import contacts, deals
from gpanel.services.context import AppContext
from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.tables import mailboxes, users
from tests.support.stack import Stack, seen
from tests.web.trust.trust_kit import raw_mail, with_ctx

CARLA = "carla@brightwave.example"
DEV = "dev@brightwave.example"


def test_preview_and_explain_keep_to_record_access(stack: Stack) -> None:
    """Carla previews and explains labels of her own mailbox; Dev's contact and deals stay
    unnamed, while an org-wide contact and its org-wide deal are explained in full."""
    browser = stack.sign_in(CARLA)
    stack.sign_in(DEV).close()
    stack.connect(browser, CARLA)
    (box,) = stack.rows(mailboxes)
    today = dt.datetime.now(dt.UTC).date()

    async def setup(ctx: AppContext) -> dict[str, Any]:
        await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        await job_state.set_magnet_enabled(ctx.engine, box.id, True)
        async with ctx.engine.begin() as conn:
            dev = (await conn.execute(select(users.c.id).where(users.c.email == DEV))).scalar_one()
            hugo = await contacts.create_contact(
                conn, first_name="Hidden", last_name="Hugo", emails=["hugo@h.example"], owner_id=dev
            )
            olive = await contacts.create_contact(
                conn, first_name="Open", last_name="Olive", emails=["olive@o.example"]
            )
            max_ = await contacts.create_contact(
                conn, first_name="Mixed", last_name="Max", emails=["max@m.example"]
            )
            for name, who, owner in (
                ("Secret merger", hugo, dev),
                ("Olive renewal", olive, None),
                ("Dev private deal", max_, dev),
            ):
                await deals.create_deal(
                    conn,
                    name=name,
                    stage="Negotiation",
                    closing_date=today,
                    primary_contact_id=who.id,
                    owner_id=owner,
                )
        return {"hugo": hugo.id, "olive": olive.id, "max": max_.id}

    ids = with_ctx(stack, setup)
    from_hugo = stack.emulator.insert(CARLA, raw_mail("hugo@h.example", CARLA, "Hello from Hugo"))[
        "id"
    ]
    stack.emulator.insert(CARLA, raw_mail("olive@o.example", CARLA, "Hello from Olive"))

    preview = seen(browser.get("/settings/labels/preview"))
    assert "Open Olive" in preview
    assert "Hidden Hugo" not in preview and "Secret merger" not in preview

    walked = browser.get(f"/settings/labels/explain?contact={ids['hugo']}")
    missing = browser.get(f"/settings/labels/explain?contact={ids['hugo'] + 10_000}")
    assert walked.status_code == missing.status_code == 404
    assert seen(walked) == seen(missing)

    message = seen(browser.get(f"/settings/labels/explain?message={from_hugo}"))
    for hidden in (
        "Hidden",
        "Hugo",
        "Secret merger",
        today.isoformat(),
        f"/contacts/{ids['hugo']}",
    ):
        assert hidden not in message, hidden

    mixed = seen(browser.get(f"/settings/labels/explain?contact={ids['max']}"))
    assert "Mixed Max" in mixed
    assert "Dev private deal" not in mixed and today.isoformat() not in mixed

    olive = seen(browser.get(f"/settings/labels/explain?contact={ids['olive']}"))
    assert "Olive renewal" in olive and today.isoformat() in olive
