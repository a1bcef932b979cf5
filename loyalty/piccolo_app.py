"""Piccolo app of the core tables (migrations live beside it)."""

import os

from piccolo.conf.apps import AppConfig

from loyalty import tables

APP_CONFIG = AppConfig(
    app_name="loyalty",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        tables.Program,
        tables.Member,
        tables.LedgerEntry,
        tables.ShopOrder,
        tables.StaffUser,
        tables.StaffSession,
        tables.AuditLog,
        tables.Notification,
        tables.PointLot,
        tables.LotUse,
    ],
    migration_dependencies=[],
    commands=[],
)
