"""Constraints and composite indexes Piccolo's table classes cannot express."""


from loyalty.migrate import sql_migration

ID = "2026-11-23T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "balance checks and history indexes"

FORWARDS = [
    "ALTER TABLE member ADD CONSTRAINT member_pending_nonnegative CHECK (pending >= 0)",
    "ALTER TABLE member ADD CONSTRAINT member_spent_nonnegative CHECK (spent >= 0)",
    "ALTER TABLE member ADD CONSTRAINT member_expired_nonnegative CHECK (expired >= 0)",
    "CREATE INDEX ledger_entry_member_id_desc ON ledger_entry (member, id DESC)",
    "CREATE INDEX shop_order_member_placed ON shop_order (member, placed_at DESC)",
    "CREATE INDEX notification_due ON notification (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX member_email_lower ON member (lower(email))",
    "CREATE INDEX member_phone ON member (phone)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS member_phone",
    "DROP INDEX IF EXISTS member_email_lower",
    "DROP INDEX IF EXISTS notification_due",
    "DROP INDEX IF EXISTS shop_order_member_placed",
    "DROP INDEX IF EXISTS ledger_entry_member_id_desc",
    "ALTER TABLE member DROP CONSTRAINT IF EXISTS member_expired_nonnegative",
    "ALTER TABLE member DROP CONSTRAINT IF EXISTS member_spent_nonnegative",
    "ALTER TABLE member DROP CONSTRAINT IF EXISTS member_pending_nonnegative",
]


forwards = sql_migration(ID, "loyalty", DESCRIPTION, FORWARDS, BACKWARDS)
