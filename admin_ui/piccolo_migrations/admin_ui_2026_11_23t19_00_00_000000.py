"""Indexes for the back office's pages on core tables (no table changes)."""


from loyalty.migrate import sql_migration

ID = "2026-11-23T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "back-office read indexes"

FORWARDS = [
    # Points per week: an index-only range scan instead of reading the whole ledger.
    "CREATE INDEX IF NOT EXISTS ledger_entry_effective_totals ON ledger_entry (effective_at)"
    " INCLUDE (lifetime, spent, expired)",
    # The audit log filtered by member (target), newest first.
    "CREATE INDEX IF NOT EXISTS audit_log_target_id ON audit_log (target, id DESC)",
    # The dashboard's notification counts over recent weeks.
    "CREATE INDEX IF NOT EXISTS notification_created_status ON notification (created_at)"
    " INCLUDE (status)",
    # Member search by part of the name (ILIKE '%...%') without reading every member, where
    # the server ships pg_trgm (contrib); elsewhere the search still works, by a full scan.
    """DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
           CREATE EXTENSION IF NOT EXISTS pg_trgm;
           CREATE INDEX IF NOT EXISTS member_name_trgm ON member USING gin (name gin_trgm_ops);
         END IF;
       END $$""",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS member_name_trgm",
    "DROP INDEX IF EXISTS notification_created_status",
    "DROP INDEX IF EXISTS audit_log_target_id",
    "DROP INDEX IF EXISTS ledger_entry_effective_totals",
]


forwards = sql_migration(ID, "admin_ui", DESCRIPTION, FORWARDS, BACKWARDS)
