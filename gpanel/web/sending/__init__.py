"""Sending in the web layer: the JSON API (`api`), save draft and follow-up reminders in the
API (`drafts_api`), the compose page (`compose`) and the template manager page (`manager`)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from gpanel.web.sending import api, compose, drafts_api, manager

routes: list[BaseRoute] = [
    Route("/records/{type}/{id:int}/compose", compose.compose_page, name="compose"),
    Route("/templates", manager.index, methods=["GET", "POST"], name="templates"),
    Route("/templates/{template_id:int}", manager.one, methods=["GET", "POST"]),
    Route("/templates/{template_id:int}/delete", manager.remove, methods=["POST"]),
    Route("/api/mail/aliases", api.aliases, methods=["GET"]),
    Route("/api/mail/send", api.send_mail, methods=["POST"]),
    Route("/api/mail/render", api.render, methods=["POST"]),
    Route("/api/mail/scheduled", api.scheduled, methods=["GET"]),
    Route("/api/mail/scheduled/{draft_id}/cancel", api.cancel, methods=["POST"]),
    Route("/api/mail/drafts", drafts_api.create, methods=["POST"]),
    Route("/api/mail/drafts/{draft_id}", drafts_api.one, methods=["GET", "PUT", "PATCH"]),
    Route("/api/mail/follow-ups", drafts_api.follow_up_list, methods=["GET"]),
    Route(
        "/api/mail/follow-ups/{follow_up_id:int}",
        drafts_api.follow_up_cancel,
        methods=["DELETE"],
    ),
    Route("/api/templates", api.template_list, methods=["GET", "POST"]),
    Route("/api/templates/{template_id:int}", api.template_one, methods=["GET", "PATCH", "DELETE"]),
]
