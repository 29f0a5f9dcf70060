"""Record pages: contact, company and deal pages, lists and search (`pages`), editing a record
on its page (`edit`), and the "new email" stream of an open record page (`news`). This module
gathers their routes.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gpanel.web.records import edit, news, pages

routes: list[BaseRoute] = [*pages.routes, *edit.routes, *news.routes]
