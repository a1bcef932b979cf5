"""ASGI entry point for production servers: ``uvicorn api.asgi:app_from_env --factory``.

Settings come from the environment; the app opens its own pool and Redis at startup, so each
uvicorn worker process gets its own. Migrations are a separate step (``loyalty migrate``).
"""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app
from loyalty.settings import load_settings


def app_from_env() -> Litestar:
    settings = load_settings()
    settings.check_production()
    if not (settings.database_url and settings.redis_url):
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set (or use `loyalty run`)")
    return create_app(settings)
