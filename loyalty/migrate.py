"""Schema migrations, run programmatically (``loyalty migrate``, ``loyalty run``, tests)."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("PICCOLO_CONF", "loyalty.piccolo_conf")


async def migrate(*, quiet: bool = False) -> None:
    """Apply every migration not yet applied, in app dependency order."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")


async def pending_schema_changes() -> list[str]:
    """What an auto migration would contain now: empty when tables and migrations agree."""
    from piccolo.apps.migrations.auto.schema_differ import SchemaDiffer
    from piccolo.apps.migrations.auto.schema_snapshot import SchemaSnapshot
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.conf.apps import Finder

    changes: list[str] = []
    for app_config in Finder().get_app_registry().app_configs.values():
        snapshot = await BaseMigrationManager().get_migration_managers(app_config=app_config)
        schema = SchemaSnapshot(managers=snapshot).get_snapshot()
        from piccolo.apps.migrations.auto.diffable_table import DiffableTable

        current = [
            DiffableTable(
                class_name=t.__name__,
                tablename=t._meta.tablename,
                columns=t._meta.non_default_columns,
                previous_class_name=None,
                schema=t._meta.schema,
            )
            for t in app_config.table_classes
        ]
        differ = SchemaDiffer(schema=current, schema_snapshot=schema, auto_input="y")
        changes.extend(str(s) for s in differ.get_alter_statements() if s.statements)
    return changes


def sql_migration(
    migration_id: str, app_name: str, description: str, forwards: list[str], backwards: list[str]
) -> Callable[[], Awaitable[Any]]:
    """The ``forwards`` of a hand-written migration: plain SQL statements run in order (and
    ``backwards`` when undone), for constraints and indexes Piccolo's columns cannot express."""
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    from loyalty.db import DB

    # Real coroutine functions: Piccolo awaits a raw step only if it is one.
    async def run_forwards() -> None:
        for sql in forwards:
            await DB.run_ddl(sql)

    async def run_backwards() -> None:
        for sql in backwards:
            await DB.run_ddl(sql)

    async def make() -> MigrationManager:
        manager = MigrationManager(
            migration_id=migration_id, app_name=app_name, description=description
        )
        manager.add_raw(run_forwards)
        manager.add_raw_backwards(run_backwards)
        return manager

    return make
