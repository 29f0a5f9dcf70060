"""Team mailboxes in the web layer (issue 14): the team inbox, a thread of it with reply,
assign and status forms, and the team notifications (`pages`); the admin's connect, settings,
test and disconnect pages (`manage`); the JSON API `/api/team-mailboxes...` (`api`); the
figures page and `GET /api/team-mailboxes/{id}/stats` (`stats`); the admin's label rules by
recipient (`label_rules`). The package gathers their routes; handlers are thin and call
`services.team_mailboxes`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from gpanel.web.team_mailboxes import api, label_rules, manage, pages, stats

routes: list[BaseRoute] = [
    *manage.routes,
    *label_rules.routes,
    *pages.routes,
    *stats.routes,
    *api.routes,
]
