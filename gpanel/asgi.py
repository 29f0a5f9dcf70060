"""Entry point for ASGI servers: `uvicorn --factory gpanel.asgi:app --workers N`.

A factory, not a module-level app, so that importing gpanel never reads settings or builds
anything; each worker process calls it once.
"""

from starlette.applications import Starlette

from gpanel.app import create_app
from gpanel.logs import configure_logging
from gpanel.settings import Settings


def app() -> Starlette:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
