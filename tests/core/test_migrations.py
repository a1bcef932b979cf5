"""The tables in code and the migrations that build the database must not drift apart."""

from __future__ import annotations

from loyalty import migrate


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await migrate.pending_schema_changes() == []


async def test_hand_written_sql_migrations_ran(database_url: str) -> None:
    """Constraints and indexes from ``sql_migration`` files exist (a dropped step would not)."""
    from loyalty import db

    constraints = {
        r["conname"]
        for r in await db.fetch("SELECT conname FROM pg_constraint WHERE contype = 'c'")
    }
    indexes = {r["indexname"] for r in await db.fetch("SELECT indexname FROM pg_indexes")}
    assert {"member_pending_nonnegative", "point_lot_remaining"} <= constraints
    assert {"ledger_entry_member_id_desc", "point_lot_open", "notification_due"} <= indexes
