"""The owner's mailbox pages: connect, test, disconnect (`page`), blocked addresses and
domains (`blocks`), Gmail labels kept from colleagues (`private_labels`), and who opened the
owner's threads (`opened`). This module gathers their routes.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gpanel.web.mailbox import blocks, opened, page, private_labels

routes: list[BaseRoute] = [*page.routes, *blocks.routes, *private_labels.routes, *opened.routes]
