"""Piccolo app of the back office: no tables, only indexes its read-heavy pages need on core
tables (the dashboard's weekly sums, the audit log filtered by target)."""

import os

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="admin_ui",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
