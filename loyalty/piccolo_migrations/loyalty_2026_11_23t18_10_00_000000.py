"""Indexes and checks for point lots."""


from loyalty.migrate import sql_migration

ID = "2026-11-23T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lot indexes"

FORWARDS = [
    "ALTER TABLE point_lot ADD CONSTRAINT point_lot_remaining CHECK "
    "(remaining >= 0 AND remaining <= points)",
    "CREATE INDEX point_lot_open ON point_lot (member, earned_at, id) WHERE remaining > 0",
    "CREATE INDEX point_lot_due ON point_lot (expires_at) WHERE remaining > 0",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS point_lot_due",
    "DROP INDEX IF EXISTS point_lot_open",
    "ALTER TABLE point_lot DROP CONSTRAINT IF EXISTS point_lot_remaining",
]


forwards = sql_migration(ID, "loyalty", DESCRIPTION, FORWARDS, BACKWARDS)
