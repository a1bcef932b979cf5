"""Phone numbers to E.164 before they become unique (loyalty.sms.phones).

Numbers that parse are rewritten in E.164 with the program's country as the default region;
numbers that do not parse are kept as they are (they never reach an SMS provider: planning
checks them). When two members hold one number, the oldest member keeps it and the others'
phone is cleared, so the unique constraint of the next migration can be built.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T21:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "normalise member phones to E.164 and clear duplicates"


async def run_forwards() -> None:
    import json

    import phonenumbers
    from piccolo.querystring import QueryString

    from loyalty.db import DB

    async def sql(query: str, *args: object) -> list:
        return await DB.run_querystring(QueryString(query, *args))

    found = await sql("SELECT rules::text AS rules FROM program WHERE id = 1")
    region = str(json.loads(found[0]["rules"]).get("country") or "NO") if found else "NO"
    seen: set[str] = set()
    for row in await sql("SELECT id, phone FROM member WHERE phone IS NOT NULL ORDER BY id"):
        raw = row["phone"].strip()
        try:
            parsed = phonenumbers.parse(raw, region)
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            number = raw
        value = None if (not raw or number in seen) else number
        if value is not None:
            seen.add(value)
        if value != row["phone"]:
            await sql("UPDATE member SET phone = {} WHERE id = {}", value, row["id"])


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="loyalty", description=DESCRIPTION)
    manager.add_raw(run_forwards)
    return manager
