"""A cancelled order wins no validity: placing and cancelling gives back the dates it moved."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from loyalty import db
from loyalty.clock import FrozenClock
from tests.helpers import Api
from tests.validity.support import assert_consistent, customer, local

NY = "America/New_York"


async def _dates(customer_id: str) -> tuple[datetime | None, datetime | None]:
    row = await db.fetchrow(
        "SELECT last_order_at, points_expire_at FROM member WHERE customer_id = $1", customer_id
    )
    assert row is not None
    return row["last_order_at"], row["points_expire_at"]


async def test_a_cancelled_order_gives_back_the_dates_it_moved(
    api: Api, clock: FrozenClock
) -> None:
    clock.set(local(0, NY))
    await customer(api, "c-1", NY)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    first = await _dates("c-1")
    assert first == (local(0, NY), local(366, NY, time(0)))

    clock.set(local(100, NY))
    await api.order("o-2", customer_id="c-1", total_minor=5_000)
    assert (await _dates("c-1"))[1] == local(466, NY, time(0))
    await api.order("o-2", customer_id="c-1", total_minor=5_000, status="cancelled")
    assert await _dates("c-1") == first
    await api.order("o-2", customer_id="c-1", total_minor=5_000, status="cancelled")  # replay
    assert await _dates("c-1") == first
    await assert_consistent()


async def test_the_only_order_cancelled_leaves_no_date(api: Api, clock: FrozenClock) -> None:
    clock.set(local(0, NY))
    await customer(api, "c-1", NY)
    await api.order("o-1", customer_id="c-1", total_minor=10_000)
    assert (await _dates("c-1"))[1] is not None
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="cancelled")
    assert await _dates("c-1") == (None, None)


async def test_cancelling_an_older_order_keeps_a_later_ones_dates(
    api: Api, clock: FrozenClock
) -> None:
    clock.set(local(0, NY))
    await customer(api, "c-1", NY)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    clock.set(local(0, NY) + timedelta(days=50))
    await api.order("o-2", customer_id="c-1", total_minor=10_000, status="completed")
    later = await _dates("c-1")
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="cancelled")
    assert await _dates("c-1") == later
    await assert_consistent()
