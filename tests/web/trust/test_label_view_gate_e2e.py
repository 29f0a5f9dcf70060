"""The Gmail label view goes through the panel's gate too (issue 10, one gate): a thread in
Carla's "Deals Closing This Month" label with a participant on her block list is not listed,
while the label's other thread is.
"""

from __future__ import annotations

import datetime as dt

from gpanel.crm import contacts, deals
from gpanel.services.context import AppContext
from gpanel.services.labels.run import run_labels
from gpanel.services.ops import job_state
from gpanel.services.sharing import rules as sharing
from gpanel.services.sharing.policy import Feature
from gpanel.store.tables import mailboxes
from tests.support.stack import Stack, csrf, seen
from tests.web.trust.trust_kit import raw_mail, with_ctx

CARLA = "carla@brightwave.example"


def test_the_label_view_hides_what_the_panel_hides(stack: Stack) -> None:
    """Both of Bea's threads get the label; the one copying a blocked vendor is not shown."""
    browser = stack.sign_in(CARLA)
    stack.connect(browser, CARLA)
    (box,) = stack.rows(mailboxes)
    today = dt.datetime.now(dt.UTC).date()

    async def setup(ctx: AppContext) -> None:
        await sharing.set_feature(ctx.engine, "role", "rep", Feature.LABELS, True)
        await job_state.set_magnet_enabled(ctx.engine, box.id, True)
        async with ctx.engine.begin() as conn:
            bea = await contacts.create_contact(
                conn, first_name="Bea", last_name="Buyer", emails=["bea@buyer.example"]
            )
            await deals.create_deal(
                conn,
                name="Renewal",
                stage="Negotiation",
                closing_date=today,
                primary_contact_id=bea.id,
            )

    with_ctx(stack, setup)
    stack.emulator.insert(CARLA, raw_mail("bea@buyer.example", CARLA, "Plain renewal"))
    stack.emulator.insert(
        CARLA, raw_mail("bea@buyer.example", CARLA, "Vendor copy", cc="bob@vendor.example")
    )
    token = csrf(browser)
    made = browser.post(
        "/api/blocks", json={"pattern": "@vendor.example"}, headers={"X-CSRF-Token": token}
    )
    assert made.status_code == 201
    on = browser.post("/settings/labels/enable", data={"csrf_token": token, "previewed": "1"})
    assert on.status_code == 200
    assert with_ctx(stack, lambda ctx: run_labels(ctx, box.id)).status == "done"
    view = seen(browser.get("/labels?label=closing_this_month"))
    assert "Plain renewal" in view
    assert "Vendor copy" not in view
