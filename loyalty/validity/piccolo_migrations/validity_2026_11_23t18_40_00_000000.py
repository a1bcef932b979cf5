"""Indexes the expiry and reminder jobs need on the core tables.

``member (points_expire_at, id)``: the jobs walk due and soon-due members in this order (keyset
batches), and the expiry clears the date, so the index holds only members with a date ahead or
not yet processed; it names no balance column, so balance updates stay HOT-eligible. Per-lot
expiry walks the core ``point_lot_due`` index.
"""


from loyalty.migrate import sql_migration

ID = "2026-11-23T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "expiry indexes"

FORWARDS = [
    "CREATE INDEX validity_member_expiry ON member (points_expire_at, id) "
    "WHERE points_expire_at IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS validity_member_expiry",
]


forwards = sql_migration(ID, "validity", DESCRIPTION, FORWARDS, BACKWARDS)
