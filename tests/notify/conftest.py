"""Fixtures for delivery tests: the loopback provider fakes, settings aimed at them, a worker.

The fakes (``loyalty.fakes``) speak FCM's, APNs' and SMTP's real protocols, so the real senders
(firebase-admin, aioapns, aiosmtplib) are what these tests exercise.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from jobs.worker import build_worker
from loyalty import db, outbox
from loyalty.clock import FrozenClock
from loyalty.fakes.__main__ import fake_env
from loyalty.fakes.apns import FakeApns
from loyalty.fakes.fcm import FakeFcm
from loyalty.fakes.smtp import FakeSmtp
from loyalty.settings import Settings
from tests.helpers import Api

_runs = itertools.count(1)


@dataclass
class Fakes:
    fcm: FakeFcm
    apns: FakeApns
    smtp: FakeSmtp
    env: dict[str, str]

    def reset(self) -> None:
        for fake in (self.fcm, self.apns, self.smtp):
            fake.reset()

    def pushes_to(self, token: str) -> list[dict[str, Any]]:
        """What each provider received for ``token`` (FCM message or APNs payload)."""
        fcm = [m for m in self.fcm.messages if m.get("token") == token]
        apns = [r.payload for r in self.apns.requests if r.token == token]
        return fcm + apns

    def mails_to(self, address: str) -> list[Any]:
        return [m for m in self.smtp.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
async def fakes_session() -> AsyncIterator[Fakes]:
    folder = Path(tempfile.mkdtemp(prefix="notify-fakes-"))
    async with FakeFcm() as fcm, FakeApns(folder) as apns, FakeSmtp() as smtp:
        credentials = fcm.write_service_account(folder / "sa.json")
        yield Fakes(fcm, apns, smtp, fake_env(fcm, apns, smtp, credentials))


@pytest.fixture
def fakes(fakes_session: Fakes) -> Fakes:
    fakes_session.reset()
    return fakes_session


@pytest.fixture
def settings(settings: Settings, fakes: Fakes) -> Settings:
    """The suite's settings, with every provider aimed at the fakes."""
    return replace(settings, delivery_env={**fakes.env, "LOYALTY_DELIVERY_LEASE_S": "300"})


async def run_worker(
    settings: Settings, clock: FrozenClock, redis: ArqRedis, *, workers: int = 1
) -> None:
    """What production does after an event: the ``deliver`` job, run by real arq workers
    (``workers`` of them at once, each with a job to pick up) until the queue is empty."""
    for _ in range(workers):
        await redis.enqueue_job("deliver", _job_id=f"test-deliver:{next(_runs)}")
    running = [
        build_worker(settings, clock=clock, burst=True, manage_pool=False) for _ in range(workers)
    ]
    try:
        await asyncio.gather(*(w.run_check() for w in running))
    finally:
        for worker in running:
            await close_worker(worker)


async def close_worker(worker: Worker) -> None:
    """``Worker.close`` (runs on_shutdown), minus the warning arq 0.28 triggers in redis 5
    by calling the deprecated ``Redis.close``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"Call to deprecated close", DeprecationWarning)
        await worker.close()


async def settle(settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes) -> None:
    """Deliver what setting up members caused (their welcome), then forget it."""
    await run_worker(settings, clock, redis)
    fakes.reset()


async def member(
    api: Api,
    customer_id: str,
    *,
    locale: str = "en",
    email: str | None = None,
    name: str = "Kari Nordmann",
    devices: tuple[tuple[str, str, str], ...] = (),
    **profile: Any,
) -> int:
    """A member made the way the shop and the app make one; returns the member id."""
    body = {"name": name, "locale": locale, "email": email, **profile}
    r = await api.shop_put(f"/v1/shop/customers/{customer_id}", body)
    assert r.status_code == 200, r.text
    for token, platform, provider in devices:
        r = await api.client.put(
            f"/v1/me/devices/{token}",
            json={"platform": platform, "provider": provider},
            headers=api.shopper(customer_id),
        )
        assert r.status_code == 200, r.text
    return int(await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id))


async def coupon_issued(
    member_id: int, clock: FrozenClock, *, coupon_id: int = 42, code: str = "LOYAL-ABCD-1234"
) -> None:
    """The notification the coupon engine writes when it issues a coupon."""
    async with db.transaction():
        await outbox.enqueue(
            "coupon_issued",
            member_id=member_id,
            dedupe_key=f"coupon:{coupon_id}",
            now=clock.now(),
            data={
                "coupon_id": coupon_id,
                "coupon_code": code,
                "coupon_title": "10 % off your next order",
                "points": 5000,
                "expires_at": (clock.now() + timedelta(days=30)).isoformat(),
            },
        )


async def deliveries(event: str = "coupon_issued", **where: Any) -> list[dict[str, Any]]:
    """Delivery rows of notifications of ``event`` (not the welcome), filtered by ``where``."""
    sql = (
        "SELECT d.* FROM delivery d JOIN notification n ON n.id = d.notification WHERE n.event = $1"
    )
    for i, k in enumerate(where, 2):
        sql += f" AND d.{k} = ${i}"
    return [dict(r) for r in await db.fetch(sql + " ORDER BY d.id", event, *where.values())]
