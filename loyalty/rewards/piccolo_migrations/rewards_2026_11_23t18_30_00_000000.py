"""Checks and indexes of the rewards tables that Piccolo's table classes cannot express."""


from loyalty.migrate import sql_migration

ID = "2026-11-23T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rewards checks and indexes"

FORWARDS = [
    "ALTER TABLE reward ADD CONSTRAINT reward_cost_positive CHECK (points_cost > 0)",
    "ALTER TABLE coupon ADD CONSTRAINT coupon_status_known CHECK "
    "(status IN ('active', 'used', 'void'))",
    "ALTER TABLE coupon ADD CONSTRAINT coupon_used_by_order CHECK "
    "(status <> 'used' OR used_order_id IS NOT NULL)",
    "ALTER TABLE coupon ADD CONSTRAINT coupon_amounts CHECK "
    "(value >= 0 AND min_order_minor >= 0 AND points_cost >= 0)",
    "ALTER TABLE redemption ADD CONSTRAINT redemption_status_known CHECK "
    "(status IN ('held', 'committed', 'released', 'returned'))",
    "ALTER TABLE redemption ADD CONSTRAINT redemption_points CHECK "
    "(points >= 0 AND points_spent >= 0 AND points_returned BETWEEN 0 AND points_spent)",
    "CREATE INDEX coupon_member_listing ON coupon (member, status, expires_at)",
    "CREATE INDEX coupon_reward ON coupon (reward_id) WHERE reward_id IS NOT NULL",
    "CREATE INDEX redemption_member_held ON redemption (member) WHERE status = 'held'",
    "CREATE INDEX redemption_coupon_held ON redemption (coupon_id) WHERE status = 'held'",
    # A coupon is committed to at most one order at a time: the database says so too.
    "CREATE UNIQUE INDEX redemption_coupon_committed ON redemption (coupon_id) "
    "WHERE status = 'committed' AND coupon_id IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS redemption_coupon_committed",
    "DROP INDEX IF EXISTS redemption_coupon_held",
    "DROP INDEX IF EXISTS redemption_member_held",
    "DROP INDEX IF EXISTS coupon_reward",
    "DROP INDEX IF EXISTS coupon_member_listing",
    "ALTER TABLE redemption DROP CONSTRAINT IF EXISTS redemption_points",
    "ALTER TABLE redemption DROP CONSTRAINT IF EXISTS redemption_status_known",
    "ALTER TABLE coupon DROP CONSTRAINT IF EXISTS coupon_amounts",
    "ALTER TABLE coupon DROP CONSTRAINT IF EXISTS coupon_used_by_order",
    "ALTER TABLE coupon DROP CONSTRAINT IF EXISTS coupon_status_known",
    "ALTER TABLE reward DROP CONSTRAINT IF EXISTS reward_cost_positive",
]


forwards = sql_migration(ID, "rewards", DESCRIPTION, FORWARDS, BACKWARDS)
