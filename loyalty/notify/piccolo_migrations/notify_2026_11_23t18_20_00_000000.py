"""Composite unique keys and checks of the notification tables (Piccolo cannot express them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from loyalty.db import DB

ID = "2026-11-23T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notify unique keys and checks"

FORWARDS = [
    "ALTER TABLE notify_template ADD CONSTRAINT notify_template_key "
    "UNIQUE (event, channel, locale)",
    "ALTER TABLE delivery ADD CONSTRAINT delivery_target_once "
    "UNIQUE (notification, channel, target)",
    "ALTER TABLE delivery ADD CONSTRAINT delivery_status_known CHECK (status IN "
    "('queued', 'sending', 'sent', 'failed', 'pruned', 'skipped', 'retry'))",
    "ALTER TABLE device ADD CONSTRAINT device_route CHECK ((platform = 'android' AND "
    "provider = 'fcm') OR (platform = 'ios' AND provider IN ('fcm', 'apns')))",
    "CREATE INDEX delivery_outcome_time ON delivery (updated_at, channel, status)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS delivery_outcome_time",
    "ALTER TABLE device DROP CONSTRAINT IF EXISTS device_route",
    "ALTER TABLE delivery DROP CONSTRAINT IF EXISTS delivery_status_known",
    "ALTER TABLE delivery DROP CONSTRAINT IF EXISTS delivery_target_once",
    "ALTER TABLE notify_template DROP CONSTRAINT IF EXISTS notify_template_key",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)

    async def run() -> None:
        for sql in FORWARDS:
            await DB.run_ddl(sql)

    async def run_backwards() -> None:
        for sql in BACKWARDS:
            await DB.run_ddl(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
