"""The emulated Gmail API: the `users.*` routes, at the discovery document's paths.

`common` holds what every route shares (bearer auth, userId rules, scopes, parameters, JSON in
and out); one module per resource family serves its methods, and `upload` the media-upload
endpoints of messages.send and messages.insert (`resumable` their upload sessions), `drafts`
users.drafts (with its uploads),
`sendas` users.settings.sendAs. `gmail_routes()` gathers them, so no route
module imports another.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gpanel.emulator.gmail_api import drafts, labels, messages, sendas, threads, upload, watch


def gmail_routes() -> list[BaseRoute]:
    """Every Gmail route the emulator serves."""
    return [
        *watch.routes(),
        *labels.routes(),
        *messages.routes(),
        *threads.routes(),
        *upload.routes(),
        *drafts.routes(),
        *sendas.routes(),
    ]
