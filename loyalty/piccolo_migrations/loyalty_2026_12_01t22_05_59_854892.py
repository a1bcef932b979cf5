from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T22:05:59:854892"
VERSION = "1.38.0"
DESCRIPTION = "Longer idempotency and dedupe keys (512 characters), so keys built from a 128-character order id fit"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="loyalty", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="LedgerEntry",
        tablename="ledger_entry",
        column_name="idempotency_key",
        db_column_name="idempotency_key",
        params={"length": 512},
        old_params={"length": 200},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="dedupe_key",
        db_column_name="dedupe_key",
        params={"length": 512},
        old_params={"length": 200},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
