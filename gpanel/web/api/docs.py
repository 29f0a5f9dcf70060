"""The readable API page, /api/docs: Swagger UI drawing /api/openapi.json, served from this
process (the `swagger-ui-bundle-v2` package's files under /static/swagger-ui/, never a CDN).

The page's script is a file (static/api_docs.js), so the strict CSP (`script-src 'self'`, no
inline script) holds; Swagger UI's inline styles fall under the `style-src 'unsafe-inline'`
the other pages already have.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # no type hints shipped

from gpanel.web.templating import render


async def docs(request: Request) -> Response:
    return render(request, "api_docs.html", {})


routes: list[BaseRoute] = [
    Route("/api/docs", docs, name="api_docs"),
    Mount("/static/swagger-ui", StaticFiles(directory=str(swagger_ui_path)), name="swagger_ui"),
]
