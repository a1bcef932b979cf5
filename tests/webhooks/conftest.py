"""Webhook tests: a loopback receiver, settings that allow it, and a delivery pass."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from loyalty.clock import FrozenClock
from loyalty.fakes.webhooks import Receiver
from loyalty.settings import Settings
from loyalty.webhooks import delivery, events
from tests.admin_ui.conftest import pages_as
from tests.helpers import Api

__all__ = ["pages_as"]

POLICY = delivery.Policy(allow_private=True, timeout_s=1.0)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, webhooks_allow_private=True)


@pytest.fixture(autouse=True)
def fresh_types() -> None:
    """Each test starts without the previous test's subscribed types (cached a second)."""
    events.forget_cache()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    events.forget_cache()
    async with Receiver() as r:
        yield r


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as c:
        yield c


async def subscribe(api: Api, url: str, types: list[str], **extra: Any) -> dict[str, Any]:
    r = await api.client.post(
        "/v1/admin/webhooks",
        json={"url": url, "events": types, **extra},
        headers=await api.staff_headers("admin"),
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def deliver(
    clock: FrozenClock, client: httpx.AsyncClient, policy: delivery.Policy = POLICY
) -> dict[str, Any]:
    return await delivery.run(clock.now, client, policy)
