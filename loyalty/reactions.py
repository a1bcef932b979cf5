"""Reactions: what other areas do when points move or an order advances, in one place.

Instead of the ledger and the order path calling each feature that cares (threshold coupons,
expiry dates, referrals, tiers, webhooks), they announce what happened and every registered
reaction runs, **in the same transaction**, lowest priority first:

- :class:`PointsMoved` after every ledger entry actually written (``ledger.post`` and the
  bulk ``ledger.post_expiries``; a repeated idempotency key writes nothing and announces
  nothing);
- :class:`OrderAdvanced` after ``orders.report`` merged an order's new state (first sight,
  a status change, or more refunded);
- :class:`ProfileSaved` after the shop's customer PUT saved a profile.

A reaction is ``async def fn(event) -> None`` registered with ``@on_points_moved(priority)``
(or ``@on_order_advanced`` / ``@on_profile_saved``) in its own module; the modules are imported,
and so registered, by :func:`loyalty.reactions_table.install` only (the app factory, the worker,
the CLI and the test fixtures call it). Announcing before ``install()`` raises, so a forgotten
entry point fails loudly instead of silently issuing no coupons. The priorities in use are
listed in ``docs/ARCHITECTURE.md``.

A reaction that raises aborts the announcement and propagates to the caller: the transaction
rolls back, nothing is half-written.

**Re-entrancy.** A reaction may itself move points (the threshold coupon burns points: another
``PointsMoved``). Events announced while reactions run are queued and handled after the
current event's reactions all finished (breadth first), so every reaction sees events in the
order they happened. Each event has a generation (the event that caused it plus one); beyond
:data:`MAX_GENERATIONS` the announcement raises ``RuntimeError`` (a reaction that keeps
posting is a bug; the transaction rolls back).

**Deferral.** Inside ``async with deferred():`` (a unit of work of several steps, such as an
order report) events are queued and handled when the block ends normally, still inside the
transaction, in the order they happened: the threshold check then sees the order's settled
balance, as it did when it was called at the end by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from loyalty import ledger

MAX_GENERATIONS = 4
"""An earn (0) may burn a threshold coupon (1); a referral reward of an order (1) may burn
one too (2). Four leaves room for tiers' coupons without allowing an endless loop."""


@dataclass(frozen=True, slots=True)
class PointsMoved:
    """One ledger entry was written: what moved and the member's cached balances after it."""

    member_id: int
    entry_id: int
    kind: str
    delta: ledger.Delta
    balances: ledger.Balances
    key: str
    order_id: str | None
    now: datetime


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """The member row as ``orders.report`` read it under its lock (taken with the order's, so
    nothing else changes it before commit): reactions use it instead of reading it again."""

    blocked: bool
    referred: bool
    timezone: str | None
    last_order_at: datetime | None
    points_expire_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderAdvanced:
    """An order's new state was merged: first sight (``previous_status`` None), a status
    change, or more refunded. ``confirmed``: its points were confirmed at some point (stays
    true after a cancellation or refund). ``flags`` is the order's flag list: a reaction may
    append a flag (``referral_attached``) and ``orders.report`` saves it with the order.
    ``member``: the member row read under the order's lock (None: read it yourself)."""

    member_id: int
    order_id: str
    previous_status: str | None
    status: str
    placed_at: datetime
    total_minor: int
    refunded_minor: int
    points: int
    now: datetime
    confirmed: bool = False
    referral_code: str | None = None
    flags: list[str] = field(default_factory=list)
    member: MemberFacts | None = None


@dataclass(frozen=True, slots=True)
class ProfileSaved:
    """The shop saved a customer's profile (``members.upsert_profile``)."""

    member_id: int
    newsletter: bool
    referral_code: str | None
    now: datetime


Event = PointsMoved | OrderAdvanced | ProfileSaved
F = TypeVar("F", bound=Callable[..., Awaitable[None]])
Reaction = Callable[[Any], Awaitable[None]]

_registry: dict[type[Any], list[tuple[int, str, Reaction]]] = {
    PointsMoved: [],
    OrderAdvanced: [],
    ProfileSaved: [],
}
_installed = False
_queue: ContextVar[list[tuple[int, Event]] | None] = ContextVar("reactions_queue", default=None)
_generation: ContextVar[int] = ContextVar("reactions_generation", default=0)
_draining: ContextVar[bool] = ContextVar("reactions_draining", default=False)


def _register(kind: type[Any], priority: int) -> Callable[[F], F]:
    def register(fn: F) -> F:
        name = f"{fn.__module__}.{fn.__qualname__}"
        entries = _registry[kind]
        if not any(n == name for _, n, _ in entries):  # a re-imported module registers once
            entries.append((priority, name, fn))
            entries.sort(key=lambda e: (e[0], e[1]))
        return fn

    return register


def on_points_moved(priority: int) -> Callable[[F], F]:
    """Register ``async fn(event: PointsMoved) -> None`` to run at ``priority`` (low first)."""
    return _register(PointsMoved, priority)


def on_order_advanced(priority: int) -> Callable[[F], F]:
    """Register ``async fn(event: OrderAdvanced) -> None`` to run at ``priority``."""
    return _register(OrderAdvanced, priority)


def on_profile_saved(priority: int) -> Callable[[F], F]:
    """Register ``async fn(event: ProfileSaved) -> None`` to run at ``priority``."""
    return _register(ProfileSaved, priority)


def remove(fn: Callable[..., Awaitable[None]]) -> None:
    """Unregister ``fn`` wherever it is registered (tests register probes, then remove them)."""
    for entries in _registry.values():
        entries[:] = [e for e in entries if e[2] is not fn]


def mark_installed() -> None:
    """Called by ``reactions_table.install()`` once every reaction module is imported."""
    global _installed
    _installed = True


def registered(kind: type[Any]) -> list[tuple[int, str]]:
    """``(priority, qualified name)`` of the reactions to ``kind``, in the order they run."""
    return [(p, n) for p, n, _ in _registry[kind]]


async def points_moved(event: PointsMoved) -> None:
    """Run the reactions to a ledger entry (lowest priority first)."""
    await _announce(event)


async def order_advanced(event: OrderAdvanced) -> None:
    """Run the reactions to an order that advanced."""
    await _announce(event)


async def profile_saved(event: ProfileSaved) -> None:
    """Run the reactions to a saved profile."""
    await _announce(event)


async def _announce(event: Event) -> None:
    if not _installed:
        raise RuntimeError("reactions are not installed: call loyalty.reactions_table.install()")
    queue = _queue.get()
    generation = _generation.get() + (1 if _draining.get() else 0)
    if generation > MAX_GENERATIONS:
        raise RuntimeError(
            f"reactions re-entered {generation} times ({type(event).__name__} {event!r}):"
            " a reaction keeps moving points"
        )
    if queue is not None:  # inside deferred() or another event's reactions: handled after
        queue.append((generation, event))
        return
    await _drain([(generation, event)])


async def _drain(queue: list[tuple[int, Event]]) -> None:
    """Handle queued events in order; events their reactions announce join the queue."""
    queue_token = _queue.set(queue)
    draining_token = _draining.set(True)
    try:
        while queue:
            generation, event = queue.pop(0)
            generation_token = _generation.set(generation)
            try:
                for _, _, reaction in _registry[type(event)]:
                    await reaction(event)
            finally:
                _generation.reset(generation_token)
    finally:
        _draining.reset(draining_token)
        _queue.reset(queue_token)


@asynccontextmanager
async def deferred() -> AsyncIterator[None]:
    """Queue the events announced inside the block; handle them when it ends normally.

    Nested inside another ``deferred()`` (or inside a reaction) it joins the outer queue.
    On an exception the queued events are dropped (the transaction rolls back anyway).
    """
    if _queue.get() is not None:
        yield
        return
    queue: list[tuple[int, Event]] = []
    token = _queue.set(queue)
    try:
        yield
    finally:
        _queue.reset(token)
    await _drain(queue)
