"""Piccolo app of the tiers area (members' VIP levels)."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.tiers import tables

APP_CONFIG = AppConfig(
    app_name="tiers",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[tables.MemberTier],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
