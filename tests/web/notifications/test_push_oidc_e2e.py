"""Gmail push end to end with a real OIDC token: the emulator's authenticated Pub/Sub push,
verified by gpanel's production path (`web/push.py`, google-auth against the emulator's
/oauth2/v1/certs), triggers the MailMagnet run.

Source: Google Cloud, *Authenticate push subscriptions*
(cloud.google.com/pubsub/docs/authenticate-push-subscriptions): `Authorization: Bearer <JWT>`,
issuer https://accounts.google.com, the subscription's audience, `email` its service account
(docs/gmail-facts.md, "Push notifications"). Pins down: with gpanel's audience and service
account matching the subscription, the hit arrives by push alone (the poll is an hour away);
with the subscription authenticating as another service account, gpanel refuses the push and
no hit arrives.
"""

from __future__ import annotations

import time

import pytest

from gpanel.store.tables import magnet_hits, mailbox_jobs
from tests.jobs.support import ALICE, CONTACT, mail_from, wait_for
from tests.support.push_stack import ACCOUNT, signed_push_stack
from tests.web.notifications.test_notifications import _switch_on


@pytest.mark.parametrize("pusher", [ACCOUNT, "someone@their-project.iam.gserviceaccount.com"])
def test_authenticated_push_is_verified_end_to_end(db_url: str, pusher: str) -> None:
    """Our service account: the push's token is verified and the hit stored within 20 s; any
    other account: refused (401), nothing stored."""
    with signed_push_stack(db_url, pusher=pusher, auto_consent=True) as stack:
        _switch_on(stack)
        wait_for(lambda: any(r.watch_expires_at for r in stack.rows(mailbox_jobs)))
        message = stack.emulator.insert(ALICE, mail_from(CONTACT))
        if pusher == ACCOUNT:
            wait_for(lambda: len(stack.rows(magnet_hits)) == 1, timeout=20)
            assert stack.rows(magnet_hits)[0].message_id == message["id"]
        else:
            time.sleep(3)  # the push is sent at once; give a wrongly accepted run time to act
            assert stack.rows(magnet_hits) == []
