"""The ``birthdays`` job: once a year, from 08:00 in the member's zone, 29 February handled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jobs import table
from loyalty import db
from schemas.program import ActivityReward, ActivityRules
from tests.activity.support import set_activity
from tests.helpers import Api, assert_ledger_consistent, balances

RULES = ActivityRules(birthday=ActivityReward(enabled=True, points=500, message="Happy day!"))


async def member(api: Api, customer_id: str, birthday: str, timezone: str | None = None) -> None:
    body: dict[str, Any] = {"birthday": birthday}
    if timezone:
        body["timezone"] = timezone
    response = await api.shop_put(f"/v1/shop/customers/{customer_id}", body)
    assert response.status_code == 200, response.text


async def run(at: datetime) -> dict[str, Any]:
    return await table.run("birthdays", at)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_once_a_year_from_eight_in_the_members_zone(api: Api) -> None:
    await set_activity(api, RULES)
    await member(api, "oslo", "1990-03-02")  # no zone: the program's (Europe/Oslo)
    assert (await run(utc(2026, 3, 2, 6, 59)))["awarded"] == 0  # 07:59 in Oslo
    assert (await run(utc(2026, 3, 2, 7, 5)))["awarded"] == 1
    assert (await run(utc(2026, 3, 2, 8, 5)))["awarded"] == 0  # the next hourly run
    assert (await balances("oslo"))["available"] == 500
    note = await db.fetchrow(
        "SELECT event, data::text AS data FROM notification WHERE event = 'birthday'"
    )
    assert note is not None and db.loads(note["data"])["message"] == "Happy day!"
    assert (await run(utc(2027, 3, 2, 9)))["awarded"] == 1  # next year again
    assert (await balances("oslo"))["available"] == 1000
    await assert_ledger_consistent()


async def test_each_member_in_their_own_time_zone(api: Api) -> None:
    await set_activity(api, RULES)
    await member(api, "akl", "1985-03-03", "Pacific/Auckland")  # UTC+13 in March
    await member(api, "la", "1985-03-02", "America/Los_Angeles")  # UTC-8
    first = await run(utc(2026, 3, 2, 19, 30))  # 08:30 on 3 March in Auckland, 11:30 in LA
    assert first["awarded"] == 2
    assert (await balances("akl"))["available"] == 500
    assert (await balances("la"))["available"] == 500


async def test_los_angeles_waits_for_its_own_morning(api: Api) -> None:
    await set_activity(api, RULES)
    await member(api, "la", "1985-03-02", "America/Los_Angeles")
    assert (await run(utc(2026, 3, 2, 12)))["awarded"] == 0  # 04:00 in LA
    assert (await run(utc(2026, 3, 2, 16, 5)))["awarded"] == 1  # 08:05 in LA


async def test_29_february_is_28_february_in_common_years(api: Api) -> None:
    await set_activity(api, RULES)
    await member(api, "leap", "2000-02-29")
    assert (await run(utc(2027, 2, 27, 9)))["awarded"] == 0
    assert (await run(utc(2027, 2, 28, 9)))["awarded"] == 1
    assert (await run(utc(2027, 3, 1, 9)))["awarded"] == 0
    assert (await run(utc(2028, 2, 28, 9)))["awarded"] == 0  # a leap year: 29 February
    assert (await run(utc(2028, 2, 29, 9)))["awarded"] == 1
    keys = await db.fetch(
        "SELECT idempotency_key FROM ledger_entry WHERE kind = 'activity' ORDER BY id"
    )
    assert [k["idempotency_key"] for k in keys] == [
        "activity:birthday:1:2027",
        "activity:birthday:1:2028",
    ]


async def test_a_missed_run_catches_up_within_two_days_across_new_year(api: Api) -> None:
    await set_activity(api, RULES)
    await member(api, "eve", "1970-12-31")
    await member(api, "late", "1970-12-30")
    result = await run(utc(2027, 1, 1, 10))  # no run on the 31st
    assert result["awarded"] == 1  # eve: 2026's birthday; late's window ended on 1 Jan 08:00
    rows = await db.fetch("SELECT idempotency_key FROM ledger_entry")
    assert [r["idempotency_key"] for r in rows] == ["activity:birthday:1:2026"]


async def test_blocked_members_unknown_zones_and_a_disabled_rule(api: Api) -> None:
    await member(api, "off", "1990-03-02")
    assert (await run(utc(2026, 3, 2, 9)))["enabled"] is False
    await set_activity(api, RULES)
    await member(api, "odd-zone", "1990-03-02")
    # A zone the shop API would refuse today, stored earlier: the program's zone is used.
    await db.execute("UPDATE member SET timezone = 'Mars/Olympus' WHERE customer_id = 'odd-zone'")
    await member(api, "blocked", "1990-03-02")
    staff = await api.staff_headers("staff")
    response = await api.client.post(
        "/v1/admin/members/blocked/block", json={"reason": "fraud check"}, headers=staff
    )
    assert response.status_code in (200, 201), response.text
    result = await run(utc(2026, 3, 2, 9))
    assert result["awarded"] == 2  # "off" (no zone) and "odd-zone"
    assert (await balances("odd-zone"))["available"] == 500
    assert (await balances("blocked"))["available"] == 0


@pytest.mark.pure
def test_the_job_runs_hourly() -> None:
    assert table.get("birthdays").schedule == table.Cron(minute=5)
