"""Fixtures for the till and SMS: the loopback Twilio (real Messages API over HTTP), settings
aimed at it, and helpers that speak as the till."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from arq.connections import ArqRedis

from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.fakes.twilio import FakeTwilio
from loyalty.settings import Settings
from tests.helpers import Api
from tests.notify.conftest import run_worker

NUMBER = "+4791234567"


@pytest.fixture(scope="session")
async def twilio_session() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio(twilio_session: FakeTwilio) -> FakeTwilio:
    twilio_session.reset()
    twilio_session.table.retry_after_s = 30
    return twilio_session


@pytest.fixture
def settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    """The suite's settings with SMS aimed at the fake (push and email not configured)."""
    return replace(settings, delivery_env={**twilio.env()})


async def by_phone(api: Api, phone: str, body: dict[str, Any] | None = None) -> Any:
    """The till identifies a shopper by phone."""
    from urllib.parse import quote

    r = await api.shop_put(f"/v1/shop/customers/by-phone/{quote(phone)}", body or {})
    assert r.status_code == 200, r.text
    return r.json()


async def pos_visit(
    api: Api, order_id: str, customer_id: str, *, status: str = "completed", total: int = 10_000
) -> dict[str, Any]:
    return await api.order(
        order_id, customer_id=customer_id, total_minor=total, status=status, channel="pos"
    )


async def deliver(settings: Settings, clock: FrozenClock, redis: ArqRedis) -> None:
    await run_worker(settings, clock, redis)


async def sms_rows(event: str | None = None) -> list[dict[str, Any]]:
    sql = """SELECT d.*, n.event FROM delivery d JOIN notification n ON n.id = d.notification
             WHERE d.channel = 'sms'"""
    args: list[Any] = []
    if event is not None:
        sql += " AND n.event = $1"
        args.append(event)
    return [dict(r) for r in await db.fetch(sql + " ORDER BY d.id", *args)]
