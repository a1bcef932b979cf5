"""Piccolo app of the activity area (activity events, referrals)."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.activity import tables

APP_CONFIG = AppConfig(
    app_name="activity",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[tables.ActivityEvent, tables.Referral],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
