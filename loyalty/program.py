"""Loading and saving the program's rules (the document itself is ``schemas.program``)."""

from __future__ import annotations

import time
from datetime import datetime

import msgspec

from loyalty import audit, db
from loyalty.errors import Invalid
from schemas.program import InvalidRules, ProgramRules


def decode_rules(raw: bytes | str) -> ProgramRules:
    """Parse and validate a rules document (the API's and the admin form's entry point)."""
    try:
        rules = msgspec.json.decode(raw, type=ProgramRules)
    except msgspec.ValidationError as exc:
        raise Invalid("invalid_program", str(exc)) from exc
    validate(rules)
    return rules


def validate(rules: ProgramRules) -> None:
    """Raise :class:`Invalid` (a 422 with the field) when the rules contradict themselves."""
    try:
        rules.validate()
    except InvalidRules as exc:
        raise Invalid("invalid_program", str(exc), field=exc.field) from exc


_cache: tuple[int, ProgramRules, float] | None = None
CACHE_SECONDS = 1.0
"""How long a process trusts its copy of the rules before asking the database again.

Every order reads the rules; asking PostgreSQL each time costs a round trip per request. A save
in this process refreshes the copy at once; other processes see it within this many seconds.
"""


async def get_rules() -> ProgramRules:
    """The current rules (defaults when no program was saved yet)."""
    global _cache
    if _cache is not None and time.monotonic() - _cache[2] < CACHE_SECONDS:
        return _cache[1]
    row = await db.fetchrow("SELECT rules::text AS rules, version FROM program WHERE id = 1")
    if row is None:
        _cache = (0, ProgramRules(), time.monotonic())
        return _cache[1]
    if _cache is not None and _cache[0] == row["version"]:
        rules = _cache[1]
    else:
        rules = msgspec.json.decode(row["rules"], type=ProgramRules)
    _cache = (row["version"], rules, time.monotonic())
    return rules


async def get_program() -> tuple[ProgramRules, int, datetime | None]:
    row = await db.fetchrow("SELECT version, updated_at FROM program WHERE id = 1")
    rules = await get_rules()
    return rules, (row["version"] if row else 0), (row["updated_at"] if row else None)


async def save_rules(rules: ProgramRules, *, actor: str | None, now: datetime) -> int:
    """Replace the rules (validated), bump the version, audit the change. Returns the version."""
    validate(rules)
    async with db.transaction():
        version: int = await db.fetchval(
            """INSERT INTO program (id, rules, version, updated_at, updated_by)
               VALUES (1, $1::jsonb, 1, $2, $3)
               ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules,
                 version = program.version + 1, updated_at = EXCLUDED.updated_at,
                 updated_by = EXCLUDED.updated_by
               RETURNING version""",
            db.dumps(rules),
            now,
            actor,
        )
        if actor is not None:
            await audit.record(
                actor, "program.update", target="program", now=now, details={"version": version}
            )
    global _cache
    _cache = (version, rules, time.monotonic())
    return version


__all__ = ["ProgramRules", "decode_rules", "get_rules", "save_rules", "validate"]
