"""Sending in the web layer: the JSON API (`api`) and the compose page (`compose`)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from gpanel.web.sending import api, compose

routes: list[BaseRoute] = [
    Route("/records/{type}/{id:int}/compose", compose.compose_page, name="compose"),
    Route("/api/mail/aliases", api.aliases, methods=["GET"]),
    Route("/api/mail/send", api.send_mail, methods=["POST"]),
    Route("/api/mail/render", api.render, methods=["POST"]),
    Route("/api/mail/scheduled", api.scheduled, methods=["GET"]),
    Route("/api/mail/scheduled/{draft_id}/cancel", api.cancel, methods=["POST"]),
    Route("/api/templates", api.template_list, methods=["GET", "POST"]),
    Route("/api/templates/{template_id:int}", api.template_one, methods=["GET", "PATCH", "DELETE"]),
]
