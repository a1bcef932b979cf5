"""Composite unique keys, partial indexes and checks of the activity tables.

Also one expression index on the core ``member`` table (month * 100 + day of the birthday),
so the birthday job selects the few members whose birthday is near without scanning them all.
"""


from loyalty.migrate import sql_migration

ID = "2026-11-23T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "activity unique keys, partial indexes, checks"

FORWARDS = [
    "ALTER TABLE activity_event ADD CONSTRAINT activity_event_client_once "
    "UNIQUE (member, client_event_id)",
    "CREATE UNIQUE INDEX activity_event_dedupe ON activity_event (member, dedupe_key) "
    "WHERE dedupe_key IS NOT NULL",
    "CREATE INDEX activity_event_awards ON activity_event (member, type, period) "
    "WHERE points > 0",
    "ALTER TABLE referral ADD CONSTRAINT referral_state_known "
    "CHECK (state IN ('pending', 'rewarded', 'void', 'reversed'))",
    "ALTER TABLE referral ADD CONSTRAINT referral_not_self CHECK (referrer <> friend)",
    "CREATE INDEX activity_member_birthday_md ON member "
    "((extract(month FROM birthday) * 100 + extract(day FROM birthday))) "
    "WHERE birthday IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS activity_member_birthday_md",
    "ALTER TABLE referral DROP CONSTRAINT IF EXISTS referral_not_self",
    "ALTER TABLE referral DROP CONSTRAINT IF EXISTS referral_state_known",
    "DROP INDEX IF EXISTS activity_event_awards",
    "DROP INDEX IF EXISTS activity_event_dedupe",
    "ALTER TABLE activity_event DROP CONSTRAINT IF EXISTS activity_event_client_once",
]


forwards = sql_migration(ID, "activity", DESCRIPTION, FORWARDS, BACKWARDS)
