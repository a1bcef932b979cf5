"""What a process keeps for webhook delivery: the policy from the settings, and one HTTP client.

The worker installs it at start (``jobs.worker``); ``loyalty jobs run webhooks`` and tests
without a worker get a short-lived one from the settings (:func:`borrow`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from loyalty.settings import Settings, load_settings
from loyalty.webhooks.delivery import Policy
from loyalty.webhooks.transport import LeanPoster


@dataclass(frozen=True, slots=True)
class Runtime:
    client: LeanPoster
    policy: Policy


_installed: list[Runtime] = []


def make_client() -> LeanPoster:
    """Keep-alive connections per receiver; redirects are never followed (a redirect could
    lead past the URL check)."""
    return LeanPoster()


def policy_of(settings: Settings) -> Policy:
    return Policy(allow_private=settings.webhooks_allow_private)


async def start(settings: Settings) -> Runtime:
    rt = Runtime(make_client(), policy_of(settings))
    _installed.append(rt)
    return rt


async def stop(rt: Runtime | None) -> None:
    if rt is not None and rt in _installed:
        _installed.remove(rt)
        await rt.client.aclose()


@asynccontextmanager
async def borrow() -> AsyncIterator[Runtime]:
    if _installed:
        yield _installed[-1]
        return
    rt = Runtime(make_client(), policy_of(load_settings()))
    try:
        yield rt
    finally:
        await rt.client.aclose()
