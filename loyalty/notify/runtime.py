"""What a process keeps for delivery: senders made once, and the delivery policy.

Provider clients hold connections and OAuth/JWT tokens, so the worker builds them in its
``on_startup`` (:func:`start`) and every ``deliver`` run reuses them. Code that runs outside a
worker (``loyalty jobs run deliver``, an admin test send from the API) borrows the installed
ones when the process has some (``loyalty run``), else builds short-lived ones from the
settings' delivery variables (:func:`borrow`).

Tuning variables (all optional): ``LOYALTY_DELIVERY_CLAIM`` (notifications per claim, 500),
``LOYALTY_DELIVERY_LANES`` (messages in flight per push provider, 16), ``LOYALTY_DELIVERY_LEASE_S``
(300), ``LOYALTY_DELIVERY_MAX_ATTEMPTS`` (6).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from loyalty.notify.delivery import Policy, ProviderSenders
from loyalty.settings import Settings, SettingsError, load_settings
from push.settings import senders_from_env


@dataclass(frozen=True, slots=True)
class Runtime:
    senders: ProviderSenders
    settings: Settings
    policy: Policy


_installed: list[Runtime] = []


def policy_from_env(env: Mapping[str, str]) -> Policy:
    """The delivery policy, with any ``LOYALTY_DELIVERY_*`` overrides."""
    base = Policy()

    def number(name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError as exc:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
        if value <= 0:
            raise SettingsError(f"{name} must be positive")
        return value

    return Policy(
        claim_size=int(number("LOYALTY_DELIVERY_CLAIM", base.claim_size)),
        lanes=int(number("LOYALTY_DELIVERY_LANES", base.lanes)),
        lease=timedelta(seconds=number("LOYALTY_DELIVERY_LEASE_S", base.lease.total_seconds())),
        max_attempts=int(number("LOYALTY_DELIVERY_MAX_ATTEMPTS", base.max_attempts)),
    )


def build(settings: Settings) -> Runtime:
    """Senders for the configured providers (unconfigured ones answer ``skipped``)."""
    made = senders_from_env(settings.delivery_env)
    senders = ProviderSenders(fcm=made.fcm, apns=made.apns, smtp=made.email, twilio=made.sms)
    return Runtime(senders, settings, policy_from_env(settings.delivery_env))


async def start(settings: Settings) -> Runtime:
    """Build and install this process's senders (the worker's ``on_startup``)."""
    runtime = build(settings)
    _installed.append(runtime)
    return runtime


async def stop(runtime: Runtime | None) -> None:
    """Close and uninstall (the worker's ``on_shutdown``)."""
    if runtime is None:
        return
    _installed[:] = [r for r in _installed if r is not runtime]
    await runtime.senders.close()


def installed() -> Runtime | None:
    """The most recently started runtime of this process."""
    return _installed[-1] if _installed else None


@asynccontextmanager
async def borrow(settings: Settings | None = None) -> AsyncIterator[Runtime]:
    """The installed runtime (when it serves the same providers), or a temporary one."""
    found = installed()
    if found is not None and (
        settings is None or found.settings.delivery_env == settings.delivery_env
    ):
        yield found
        return
    runtime = build(settings or load_settings())
    try:
        yield runtime
    finally:
        await runtime.senders.close()
