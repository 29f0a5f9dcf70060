"""The opened thread: its page, its JSON, its attachments, its live actions, and the image proxy.

Routes (record type is `contact`, `company` or `deal`; the plural is accepted too):
- `GET  /records/{type}/{id}/threads/{mailbox_id}/{thread_id}` the page (`?images=<message id>`
  or `?images=all` shows remote images of those messages through the proxy);
- `POST /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/actions` form field `action`
  (read, unread, archive, inbox, star, unstar, add_label, remove_label) and `label_id`;
  303 back to the page, or JSON when the request accepts JSON;
- `GET  /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/attachments/{message_id}/p{part}`
  one part's bytes (`part` is Gmail's partId, e.g. `p1`, `p0.2`), `?inline=1&t=<token>` for
  `cid:` images inside the message frame;
- `POST /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/relink` undoes an unlink;
- `POST /records/{type}/{id}/threads/{mailbox_id}/{thread_id}/add-contact` form field `email`
  (and optional `first_name`, `last_name`): an unknown participant becomes a contact;
- `GET  /api/threads/{mailbox_id}/{thread_id}?record_type=&record_id=` the same data as JSON,
  `POST /api/threads/{mailbox_id}/{thread_id}/actions?record_type=&record_id=` JSON actions;
- `GET  /img?u=<url>&s=<signature>` the image proxy (`frame`, with the frame's links).
Every route goes through `threads.authorize_thread`; see that module for the rules.

Modules: `grant` (which thread the URL names, may the viewer open it), `page` (the page and its
JSON), `actions`, `attachments`, `frame` (what the sandboxed message frame loads). This package
gathers their routes.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from gpanel.web.threads import actions, add_contact, attachments, frame, page

_PAGE = "/records/{type}/{id:int}/threads/{mailbox_id:int}/{thread_id}"
_API = "/api/threads/{mailbox_id:int}/{thread_id}"

routes: list[BaseRoute] = [
    Route(_PAGE, page.thread_page, name="thread_page"),
    Route(_PAGE + "/actions", actions.thread_action, methods=["POST"], name="thread_action"),
    Route(_PAGE + "/relink", actions.relink, methods=["POST"], name="thread_relink"),
    Route(_PAGE + "/add-contact", add_contact.add_contact, methods=["POST"], name="thread_add"),
    Route(
        _PAGE + "/attachments/{message_id}/{part}", attachments.attachment, name="thread_attachment"
    ),
    Route(_API, page.api_thread, name="api_thread"),
    Route(_API + "/actions", actions.api_action, methods=["POST"], name="api_thread_action"),
    *frame.routes,
]
