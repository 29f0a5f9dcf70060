"""Every route gpanel serves, gathered from the web modules that own them.

Each web module exposes `routes: list[BaseRoute]`; adding an area of the product means adding
its module here and nowhere else.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gpanel.web import (
    admin,
    api_tokens,
    auth,
    calendar,
    home,
    labels,
    mailbox,
    notifications,
    panel,
    push,
    records,
    sharing,
    team_mailboxes,
    threads,
)
from gpanel.web import sending as sending_web
from gpanel.web.api import crm as crm_api
from gpanel.web.api import docs as api_docs

_MODULES = (
    home,
    auth,
    mailbox,
    sharing,
    admin,
    api_tokens,
    crm_api,
    api_docs,
    records,
    threads,
    panel,
    calendar,
    labels,
    notifications,
    push,
    sending_web,
    team_mailboxes,
)


def all_routes() -> list[BaseRoute]:
    collected: list[BaseRoute] = []
    for module in _MODULES:
        collected.extend(module.routes)
    return collected
