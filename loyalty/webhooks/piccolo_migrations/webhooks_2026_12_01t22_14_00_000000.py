"""Webhook deliveries: one per event and subscription, known statuses, the due-claim index."""


from loyalty.migrate import sql_migration

ID = "2026-12-01T22:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook delivery unique key, status check and due index"

FORWARDS = [
    "ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_once "
    "UNIQUE (event, subscription)",
    "ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_status_known CHECK (status IN "
    "('pending', 'delivered', 'failed', 'cancelled'))",
    "CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) "
    "WHERE status = 'pending'",
    "CREATE INDEX webhook_delivery_log ON webhook_delivery (subscription, id DESC)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS webhook_delivery_log",
    "DROP INDEX IF EXISTS webhook_delivery_due",
    "ALTER TABLE webhook_delivery DROP CONSTRAINT IF EXISTS webhook_delivery_status_known",
    "ALTER TABLE webhook_delivery DROP CONSTRAINT IF EXISTS webhook_delivery_once",
]


forwards = sql_migration(ID, "webhooks", DESCRIPTION, FORWARDS, BACKWARDS)
