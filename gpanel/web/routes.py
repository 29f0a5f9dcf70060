"""Every route gpanel serves, gathered from the web modules that own them.

Each web module exposes `routes: list[BaseRoute]`; adding an area of the product means adding
its module to `_MODULES` here and nowhere else.
"""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

_MODULES = (
    "gpanel.web.home",
    "gpanel.web.auth",
    "gpanel.web.mailbox",
    "gpanel.web.sharing",
    "gpanel.web.admin",
    "gpanel.web.api_tokens",
    "gpanel.web.crm_api",
    "gpanel.web.records",
    "gpanel.web.threads",
    "gpanel.web.panel",
    "gpanel.web.labels",
    "gpanel.web.notifications",
    "gpanel.web.push",
)


def all_routes() -> list[BaseRoute]:
    collected: list[BaseRoute] = []
    for name in _MODULES:
        collected.extend(importlib.import_module(name).routes)
    return collected
