"""The periodic balance summary on marketing's schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty import db
from loyalty.clock import FrozenClock
from schemas.program import BalanceSummary
from tests.helpers import Api
from tests.validity.support import job, notifications, set_program


async def _member_with_points(api: Api, customer_id: str, total_minor: int = 10_000) -> None:
    await api.order(
        f"o-{customer_id}", customer_id=customer_id, total_minor=total_minor, status="completed"
    )


async def test_monthly_summary_goes_once_to_members_with_points(
    api: Api, clock: FrozenClock
) -> None:
    await set_program(api, summary=BalanceSummary(every="month", day=1))
    clock.set(datetime(2026, 3, 20, 12, tzinfo=UTC))
    await _member_with_points(api, "a")
    await api.shop_put("/v1/shop/customers/nobody", {"email": "n@example.com"})
    await _member_with_points(api, "blocked")
    r = await api.client.post(
        "/v1/admin/members/blocked/block",
        json={"reason": "fraud check"},
        headers=await api.staff_headers(),
    )
    assert r.status_code == 200, r.text

    assert (await job("summary", datetime(2026, 3, 31, 12, tzinfo=UTC)))["sent"] == 0
    april = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April in Oslo
    clock.set(april)
    await _member_with_points(api, "late")  # joined after the period's day began
    first = await job("summary", april)
    assert (first["period"], first["sent"]) == ("2026-04", 1)
    assert (await job("summary", april))["sent"] == 0
    assert (await job("summary", datetime(2026, 4, 2, 12, tzinfo=UTC)))["sent"] == 0
    [note] = await notifications("a", "balance_summary")
    assert note["data"] == {
        "period": "2026-04",
        "available": 1_000,
        "spent": 0,
        "lifetime": 1_000,
        "pending": 0,
        "expired": 0,
    }
    may = await job("summary", datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert (may["period"], may["sent"]) == ("2026-05", 2)


async def test_a_late_run_catches_up_and_a_crash_resumes_where_it_stopped(
    api: Api, clock: FrozenClock
) -> None:
    from loyalty.validity import summary

    await set_program(api, summary=BalanceSummary(every="quarter", day=5))
    for i in range(5):
        await _member_with_points(api, f"c-{i}")
    as_of = datetime(2026, 4, 20, 12, tzinfo=UTC)
    report = await summary.run(as_of, batch=2)
    assert (report["period"], report["sent"]) == ("2026-Q2", 5)
    await db.execute("UPDATE summary_run SET finished_at = NULL, last_member = 3")
    assert (await summary.run(as_of, batch=2))["sent"] == 0
    assert (
        await db.fetchval("SELECT count(*) FROM notification WHERE event = 'balance_summary'") == 5
    )


async def test_weekly_and_disabled_schedules(api: Api) -> None:
    await set_program(api, summary=BalanceSummary(every="week", day=3))
    await _member_with_points(api, "a")
    tuesday, wednesday = datetime(2026, 3, 3, 12, tzinfo=UTC), datetime(2026, 3, 4, 12, tzinfo=UTC)
    assert (await job("summary", tuesday))["sent"] == 0
    assert (await job("summary", wednesday)) | {"as_of": None} == {
        "as_of": None,
        "period": "2026-W10",
        "sent": 1,
    }
    await set_program(api, summary=BalanceSummary(enabled=False))
    assert (await job("summary", datetime(2026, 3, 11, 12, tzinfo=UTC)))["sent"] == 0


async def test_a_weekly_day_past_sunday_is_refused(api: Api) -> None:
    response = await api.client.put(
        "/v1/admin/program",
        json={"summary": {"every": "week", "day": 9}},
        headers=await api.staff_headers("marketing"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == "summary.day"
