"""The tables in code and the migrations that build the database must not drift apart."""

from __future__ import annotations

from loyalty import migrate


async def test_models_and_migrations_agree(database_url: str) -> None:
    assert await migrate.pending_schema_changes() == []
