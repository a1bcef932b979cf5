"""Piccolo app of the import area (its progress table)."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.imports import tables

APP_CONFIG = AppConfig(
    app_name="imports",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[tables.ImportRun],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
