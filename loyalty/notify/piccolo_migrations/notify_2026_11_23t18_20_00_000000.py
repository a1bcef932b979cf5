"""Composite unique keys and checks of the notification tables (Piccolo cannot express them)."""


from loyalty.migrate import sql_migration

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


forwards = sql_migration(ID, "notify", DESCRIPTION, FORWARDS, BACKWARDS)
