"""Piccolo app of the validity area (its table and its indexes on core tables)."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.validity import tables

APP_CONFIG = AppConfig(
    app_name="validity",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[tables.SummaryRun],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
