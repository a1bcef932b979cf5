"""Piccolo configuration for the migrations CLI and :func:`loyalty.migrate.migrate`.

Feature areas with tables of their own register their Piccolo app here; each keeps its own
migrations folder so their schema changes never collide.
"""

from piccolo.conf.apps import AppRegistry

from loyalty.db import DB

__all__ = ["APP_REGISTRY", "DB"]

APP_REGISTRY = AppRegistry(
    apps=[
        "loyalty.piccolo_app",
        "loyalty.notify.piccolo_app",
        "loyalty.rewards.piccolo_app",
        "loyalty.activity.piccolo_app",
        "loyalty.validity.piccolo_app",
        "admin_ui.piccolo_app",
        "loyalty.imports.piccolo_app",
        "loyalty.webhooks.piccolo_app",
        "loyalty.tiers.piccolo_app",
    ]
)
