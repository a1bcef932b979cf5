"""Piccolo app of the notification area (devices, templates, deliveries, opens)."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.notify import tables

APP_CONFIG = AppConfig(
    app_name="notify",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[tables.Device, tables.Template, tables.Delivery, tables.NotificationOpen],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
