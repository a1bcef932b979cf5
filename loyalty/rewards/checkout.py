"""Checkout: quote a cart, hold its coupon and points for an order, commit or return them.

- :func:`quote` prices a cart (read only): one coupon, then points for part of the rest
  (rule 5), or every reason they do not apply. An unknown code, another member's code and a
  used or void code all get the same answer (``coupon_invalid``) by the same path (one
  indexed lookup, one Redis count), so answers and timing reveal nothing; wrong codes are
  counted per customer and limited (:mod:`loyalty.rewards.ratelimit`).
- :func:`reserve` does the same under the member's row lock and holds what applies for
  :data:`HOLD` (one ``redemption`` row per order), or raises ``Conflict`` (409) with the
  reasons. Held points and coupons are invisible to other checkouts, unlocks and threshold
  burns until the hold is committed, released or times out.
- :func:`on_order_report` runs inside ``orders.report``'s transaction: the first report
  carrying ``coupon_code``/``points_redeemed`` commits them exactly once (the hold if there is
  one, else checked like a quote); a cancellation returns spent points and the coupon; a
  refund returns spent points in proportion; a clawback that leaves the balance negative
  voids unused coupons bought with that order's points. Threshold coupons the order's points
  made due are issued by their reaction (``loyalty.reactions``), after this has settled.

Lock order (no deadlocks): order row, member row, redemption row, coupon row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from loyalty import accrual, db, locking, outbox, program, spending
from loyalty.errors import Conflict, Invalid
from loyalty.rewards import codes, coupons, pricing
from loyalty.rewards.ratelimit import BadCodeLimiter
from schemas.checkout import QuoteIn, ReserveIn
from schemas.program import ProgramRules
from schemas.shop import OrderIn

HOLD = timedelta(minutes=10)

_INVALID = pricing.Reason("coupon_invalid", "this code is unknown or can no longer be used")


@dataclass(frozen=True, slots=True)
class MemberState:
    """The member as a checkout sees it: other orders' holds are already subtracted."""

    id: int | None
    wallet: pricing.Wallet


@dataclass(frozen=True, slots=True)
class CouponQuote:
    """What a typed coupon code does for a cart; ``reasons`` say why it does not apply."""

    code: str
    applied: bool
    discount_minor: int
    free_shipping: bool
    title: str | None
    kind: str | None
    expires_at: datetime | None
    reasons: tuple[pricing.Reason, ...]


@dataclass(frozen=True, slots=True)
class PointsQuote:
    """What the points asked for do for a cart: how many pay, for how much, and the cap."""

    requested: int
    applied: bool
    points_used: int
    discount_minor: int
    max_points: int
    available: int
    reasons: tuple[pricing.Reason, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """A priced cart as the shop sees it: the discount, the final total, every reason."""

    customer_id: str
    currency: str
    total_minor: int
    discount_minor: int
    final_total_minor: int
    coupon: CouponQuote | None
    points: PointsQuote | None
    reasons: tuple[pricing.Reason, ...]


@dataclass(frozen=True, slots=True)
class Priced:
    """A priced cart: the answer, plus what a hold or a commit needs to know."""

    quote: Quote
    coupon_id: int | None
    coupon_discount: int
    points_used: int
    invalid_code: bool
    refusals: list[pricing.Reason]


def earned_since(rules: ProgramRules, at: datetime) -> datetime | None:
    """Rule 5's age limit: only points earned at or after this moment may pay."""
    days = rules.points_as_money.max_points_age_days
    return at - timedelta(days=days) if days > 0 else None


# -- quote and reserve -----------------------------------------------------------------------


async def quote(data: QuoteIn, *, now: datetime, limiter: BadCodeLimiter | None) -> Quote:
    """Price a cart for a customer without holding anything.

    The wrong-code count (Redis) and the member-and-coupon snapshot (one SQL statement) are
    read concurrently; a customer over the limit gets 429 whatever the code.
    """
    rules = await program.get_rules()
    _check_currency(rules, data.currency)
    snapshot = _snapshot(data.customer_id, data.coupon_code, rules, now, data.order_id)
    if data.coupon_code is not None and limiter is not None:
        check = asyncio.create_task(limiter.check(data.customer_id))  # one task, not a gather
        try:
            member, coupon = await snapshot
        finally:
            await check  # over the limit: 429, whatever the snapshot did
    else:
        member, coupon = await snapshot
    priced = price(rules, data, member, coupon, now)
    if priced.invalid_code and limiter is not None:
        await limiter.hit(data.customer_id)
    return priced.quote


async def reserve(
    data: ReserveIn, *, now: datetime, limiter: BadCodeLimiter | None
) -> tuple[Quote, datetime]:
    """Hold the cart's coupon and points for ``data.order_id`` until the returned moment.

    Raises ``Conflict`` with the first reason's code and every reason in ``details.reasons``
    when anything asked for does not apply; nothing is held then.
    """
    if data.coupon_code is None and not data.points:
        raise Invalid("nothing_to_reserve", "give a coupon_code, points, or both")
    rules = await program.get_rules()
    _check_currency(rules, data.currency)
    if data.coupon_code is not None and limiter is not None:
        await limiter.check(data.customer_id)
    async with db.transaction():
        priced = await _price_locked(data, rules, now)
        if priced.invalid_code and limiter is not None:
            await limiter.hit(data.customer_id)
        if priced.refusals:
            first = priced.refusals[0]
            raise Conflict(
                first.code, first.message, reasons=[reason_body(r) for r in priced.refusals]
            )
        expires_at = now + HOLD
        await _hold(data, priced, rules, now, expires_at)
    return priced.quote, expires_at


async def _price_locked(data: ReserveIn, rules: ProgramRules, now: datetime) -> Priced:
    """Lock the member and the order's redemption, check the order is open, price the cart."""
    locked = await locking.lock_customer(data.customer_id)
    member_id = None if locked is None else locked.id
    existing = await _lock_redemption(data.order_id)
    order = await db.fetchrow(
        "SELECT member, status FROM shop_order WHERE order_id = $1", data.order_id
    )
    if (existing is not None and existing["member"] != member_id) or (
        order is not None and order["member"] != member_id
    ):
        raise Conflict(
            "order_customer_mismatch",
            "this order belongs to another customer",
            order_id=data.order_id,
        )
    if order is not None and order["status"] == "cancelled":
        raise Conflict("order_closed", "this order was cancelled", order_id=data.order_id)
    if existing is not None and existing["status"] in ("committed", "returned"):
        raise Conflict(
            "order_already_committed",
            "this order already used its coupon and points",
            order_id=data.order_id,
        )
    member, coupon = await _snapshot(data.customer_id, data.coupon_code, rules, now, data.order_id)
    return price(rules, data, member, coupon, now)


async def _hold(
    data: ReserveIn, priced: Priced, rules: ProgramRules, now: datetime, expires_at: datetime
) -> None:
    await db.execute(
        """INSERT INTO redemption (order_id, member, coupon_code, coupon_id, points,
               discount_minor, status, hold_expires_at, earned_since, points_spent,
               points_returned, created_at, updated_at)
           SELECT $1, m.id, $3, $4, $5, $6, 'held', $7, $8, 0, 0, $9, $9
           FROM member m WHERE m.customer_id = $2
           ON CONFLICT (order_id) DO UPDATE SET coupon_code = EXCLUDED.coupon_code,
               coupon_id = EXCLUDED.coupon_id, points = EXCLUDED.points,
               discount_minor = EXCLUDED.discount_minor, status = 'held',
               hold_expires_at = EXCLUDED.hold_expires_at,
               earned_since = EXCLUDED.earned_since, updated_at = EXCLUDED.updated_at""",
        data.order_id,
        data.customer_id,
        codes.normalise(data.coupon_code) if data.coupon_code else None,
        priced.coupon_id,
        priced.points_used,
        priced.quote.discount_minor,
        expires_at,
        earned_since(rules, now),
        now,
    )


def _check_currency(rules: ProgramRules, currency: str | None) -> None:
    if currency is not None and currency != rules.currency:
        raise Invalid(
            "currency_mismatch",
            f"the program runs in {rules.currency}",
            currency=currency,
            expected=rules.currency,
        )


_STATE = """SELECT m.id, m.available, m.blocked,
      (SELECT coalesce(sum(r.points), 0)::bigint FROM redemption r
       WHERE r.member = m.id AND r.status = 'held' AND r.hold_expires_at > $2
         AND r.order_id IS DISTINCT FROM $3) AS held,
      (SELECT coalesce(sum(l.remaining), 0)::bigint FROM point_lot l
       WHERE l.member = m.id AND l.remaining > 0
         AND ($4::timestamptz IS NULL OR l.earned_at >= $4)) AS recent
   FROM member m WHERE """


async def _state(
    where: str, key: Any, now: datetime, except_order: str | None, since: datetime | None
) -> MemberState:
    row = await db.fetchrow(_STATE + where, key, now, except_order, since)
    return _member_of(row, since)


def _member_of(row: Any, since: datetime | None) -> MemberState:
    if row is None:
        return MemberState(None, pricing.Wallet(available=0, recent=0))
    available = row["available"] - row["held"]
    recent = min(row["recent"] - row["held"], available) if since else available
    return MemberState(row["id"], pricing.Wallet(available, recent, blocked=row["blocked"]))


_COUPON_COLUMNS = """c.id, c.member, c.code, c.status, c.kind, c.value, c.sku,
    c.min_order_minor, c.title, c.expires_at,
    EXISTS (SELECT 1 FROM redemption r WHERE r.coupon_id = c.id AND r.status = 'held'
            AND r.hold_expires_at > $2 AND r.order_id IS DISTINCT FROM $3) AS held_elsewhere"""


async def _coupon_row(code: str | None, now: datetime, except_order: str | None) -> Any:
    """The coupon a typed code names (normalised), with whether another order holds it."""
    if code is None:
        return None
    return await db.fetchrow(
        f"SELECT {_COUPON_COLUMNS} FROM coupon c WHERE c.code = $1",
        codes.normalise(code),
        now,
        except_order,
    )


_SNAPSHOT = f"""SELECT s.*, cp.* FROM (SELECT 1) AS one
LEFT JOIN LATERAL ({_STATE} m.customer_id = $1) AS s ON true
LEFT JOIN LATERAL (
    SELECT c.id AS coupon_id, c.member AS coupon_member, c.code, c.status, c.kind, c.value,
        c.sku, c.min_order_minor, c.title, c.expires_at,
        EXISTS (SELECT 1 FROM redemption r WHERE r.coupon_id = c.id AND r.status = 'held'
                AND r.hold_expires_at > $2 AND r.order_id IS DISTINCT FROM $3) AS held_elsewhere
    FROM coupon c WHERE c.code = $5) AS cp ON true"""


async def _snapshot(
    customer_id: str, code: str | None, rules: ProgramRules, now: datetime, except_order: str | None
) -> tuple[MemberState, Any]:
    """The member's state and the coupon a code names, in one round trip. Unknown, foreign
    and used codes take exactly this path too, so their answers cost the same time."""
    since = earned_since(rules, now)
    normalised = codes.normalise(code) if code is not None else None
    row = await db.fetchrow(_SNAPSHOT, customer_id, now, except_order, since, normalised)
    assert row is not None
    coupon = None
    if row["coupon_id"] is not None:
        coupon = {**dict(row), "id": row["coupon_id"], "member": row["coupon_member"]}
    return _member_of(row if row["id"] is not None else None, since), coupon


# -- pricing a cart --------------------------------------------------------------------------


def price(
    rules: ProgramRules, data: QuoteIn, member: MemberState, coupon: Any, at: datetime
) -> Priced:
    """The whole answer for a cart, from the member's state and the coupon row (pure)."""
    cart = pricing.Cart(data.total_minor, data.items, data.shipping_minor)
    coupon_quote, coupon_id, invalid = _coupon_part(data.coupon_code, coupon, member, cart, at)
    coupon_discount = coupon_quote.discount_minor if coupon_quote else 0
    payable = data.total_minor - coupon_discount
    points_quote = _points_part(rules, data.points, member.wallet, cart, payable)
    points_discount = points_quote.discount_minor if points_quote else 0
    reasons = (
        *(coupon_quote.reasons if coupon_quote else ()),
        *(points_quote.reasons if points_quote else ()),
    )
    discount = coupon_discount + points_discount
    out = Quote(
        customer_id=data.customer_id,
        currency=rules.currency,
        total_minor=data.total_minor,
        discount_minor=discount,
        final_total_minor=data.total_minor - discount,
        coupon=coupon_quote,
        points=points_quote,
        reasons=reasons,
    )
    refused = (coupon_quote is not None and not coupon_quote.applied) or (
        points_quote is not None and points_quote.requested > 0 and not points_quote.applied
    )
    return Priced(
        quote=out,
        coupon_id=coupon_id,
        coupon_discount=coupon_discount,
        points_used=points_quote.points_used if points_quote else 0,
        invalid_code=invalid,
        refusals=list(reasons) if refused else [],
    )


def _coupon_part(
    code: str | None, row: Any, member: MemberState, cart: pricing.Cart, at: datetime
) -> tuple[CouponQuote | None, int | None, bool]:
    """(the coupon's answer, its id when it applies, whether the code counts as wrong)."""
    if code is None:
        return None, None, False
    if row is None or row["member"] != member.id or row["status"] != "active":
        return _refused(code, [_INVALID]), None, True
    reasons = _coupon_blockers(row, member, at)
    result = None
    if not reasons:
        terms = pricing.Terms(row["kind"], row["value"], row["sku"], row["min_order_minor"])
        result = pricing.coupon_discount(terms, cart)
        reasons = result.reasons
    applied = result is not None and not reasons
    answer = CouponQuote(
        code=codes.display(row["code"]),
        applied=applied,
        discount_minor=result.discount_minor if applied and result else 0,
        free_shipping=bool(applied and result and result.free_shipping),
        title=row["title"],
        kind=row["kind"],
        expires_at=row["expires_at"],
        reasons=tuple(reasons),
    )
    return answer, (row["id"] if applied else None), False


def _coupon_blockers(row: Any, member: MemberState, at: datetime) -> list[pricing.Reason]:
    if member.wallet.blocked:
        return [pricing.Reason("member_blocked", "a blocked member cannot redeem rewards")]
    if row["expires_at"] <= at:
        return [
            pricing.Reason(
                "coupon_expired",
                "this coupon has expired",
                {"expired_at": row["expires_at"].isoformat()},
            )
        ]
    if row["held_elsewhere"]:
        return [pricing.Reason("coupon_reserved", "this coupon is held by another checkout")]
    return []


def _refused(code: str, reasons: list[pricing.Reason]) -> CouponQuote:
    """The answer that says nothing about the code beyond "no" (unknown, foreign, used)."""
    return CouponQuote(
        code=code,
        applied=False,
        discount_minor=0,
        free_shipping=False,
        title=None,
        kind=None,
        expires_at=None,
        reasons=tuple(reasons),
    )


def _points_part(
    rules: ProgramRules,
    requested: int | None,
    wallet: pricing.Wallet,
    cart: pricing.Cart,
    payable: int,
) -> PointsQuote | None:
    if requested is None:
        return None
    result = pricing.points_discount(rules.points_as_money, wallet, cart, payable, requested)
    return PointsQuote(
        requested=requested,
        applied=result.points_used > 0,
        points_used=result.points_used,
        discount_minor=result.discount_minor,
        max_points=result.max_points,
        available=max(wallet.available, 0),
        reasons=tuple(result.reasons),
    )


def reason_body(reason: pricing.Reason) -> dict[str, Any]:
    """A reason as the 409's ``details.reasons`` carry it (the shape of a quote's reasons)."""
    return {"code": reason.code, "message": reason.message, "details": reason.details}


# -- the order PUT: commit, cancel, refund ---------------------------------------------------


class OrderView(Protocol):
    """What :func:`on_order_report` reads from (and flags on) ``orders.OrderRow``."""

    order_id: str
    member_id: int
    status: str
    total_minor: int
    refunded_minor: int
    clawed_back: int
    placed_at: datetime
    flags: list[str]


async def on_order_report(
    order: OrderView, state: OrderIn, rules: ProgramRules, *, now: datetime
) -> None:
    """Settle the order's coupon and points after ``orders.report`` moved it (same transaction).

    An order that carries no coupon or points and was neither cancelled nor refunded has
    nothing to settle, so most order PUTs cost nothing here.
    """
    if _wants(state) or order.status == "cancelled" or order.refunded_minor > 0:
        await _settle(order, state, rules, now)
    if order.clawed_back > 0:
        await coupons.void_clawed_back(order.member_id, order.order_id, now=now)


async def _settle(order: OrderView, state: OrderIn, rules: ProgramRules, now: datetime) -> None:
    await locking.lock_member(order.member_id)
    redemption = await _lock_redemption(order.order_id)
    if order.status == "cancelled":
        await _on_cancel(order, redemption, now)
        return
    if _wants(state):
        if redemption is None or redemption["status"] == "held":
            redemption = await _commit(order, state, redemption, rules, now)
        elif _differs(redemption, state):
            _flag(order, "redemption_changed")
    await _return_refunded(order, redemption, now)


def _wants(state: OrderIn) -> bool:
    return bool(state.coupon_code) or state.points_redeemed > 0


def _differs(redemption: Any, state: OrderIn) -> bool:
    code = codes.normalise(state.coupon_code) if state.coupon_code else None
    return bool(code != redemption["coupon_code"] or state.points_redeemed != redemption["points"])


def _flag(order: OrderView, flag: str) -> None:
    if flag not in order.flags:
        order.flags.append(flag)


async def _lock_redemption(order_id: str) -> Any:
    return await db.fetchrow(
        """SELECT id, order_id, member, coupon_code, coupon_id, points, discount_minor, status,
                  hold_expires_at, earned_since, points_spent, points_returned
           FROM redemption WHERE order_id = $1 FOR UPDATE""",
        order_id,
    )


async def _commit(
    order: OrderView, state: OrderIn, hold: Any, rules: ProgramRules, now: datetime
) -> Any:
    """Use the coupon and spend the points the order carries, once; flag what cannot be."""
    live = hold if hold is not None and hold["hold_expires_at"] > now else None
    at = min(order.placed_at, now)
    since = earned_since(rules, at)
    member = await _state("m.id = $1", order.member_id, now, order.order_id, since)
    cart = pricing.Cart(state.total_minor, state.items)
    coupon_id, coupon_discount = await _commit_coupon(order, state, live, member, cart, at, now)
    spent = await _commit_points(
        order, state, live, rules, member, cart, state.total_minor - coupon_discount, at, now
    )
    return await db.fetchrow(
        """INSERT INTO redemption (order_id, member, coupon_code, coupon_id, points,
               discount_minor, status, hold_expires_at, earned_since, points_spent,
               points_returned, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'committed', NULL, NULL, $7, 0, $8, $8)
           ON CONFLICT (order_id) DO UPDATE SET coupon_code = EXCLUDED.coupon_code,
               coupon_id = EXCLUDED.coupon_id, points = EXCLUDED.points,
               discount_minor = EXCLUDED.discount_minor, status = 'committed',
               hold_expires_at = NULL, points_spent = EXCLUDED.points_spent,
               updated_at = EXCLUDED.updated_at
           RETURNING id, order_id, member, coupon_code, coupon_id, points, discount_minor, status,
               hold_expires_at, earned_since, points_spent, points_returned""",
        order.order_id,
        order.member_id,
        codes.normalise(state.coupon_code) if state.coupon_code else None,
        coupon_id,
        state.points_redeemed,
        coupon_discount + pricing.points_value(rules.points_as_money, spent),
        spent,
        now,
    )


async def _commit_coupon(
    order: OrderView,
    state: OrderIn,
    hold: Any,
    member: MemberState,
    cart: pricing.Cart,
    at: datetime,
    now: datetime,
) -> tuple[int | None, int]:
    """Mark the order's coupon used; ``(coupon id, discount)`` or ``(None, 0)`` and a flag."""
    if not state.coupon_code:
        return None, 0
    row = await _coupon_row(state.coupon_code, now, order.order_id)
    if row is None or row["member"] != order.member_id:
        _flag(order, "coupon_unknown")
        return None, 0
    if row["status"] != "active":
        _flag(order, "coupon_already_used")
        return None, 0
    terms = pricing.Terms(row["kind"], row["value"], row["sku"], row["min_order_minor"])
    result = pricing.coupon_discount(terms, cart)
    if hold is None or hold["coupon_id"] != row["id"]:
        blockers = _coupon_blockers(row, member, at) or result.reasons
        if blockers:
            _flag(order, f"coupon_refused:{blockers[0].code}")
            return None, 0
    if not await coupons.mark_used(row["id"], order.order_id, now):
        _flag(order, "coupon_already_used")
        return None, 0
    await _announce(
        order,
        state,
        "coupon",
        now,
        {
            "coupon_id": row["id"],
            "code": codes.display(row["code"]),
            "title": row["title"],
            "discount_minor": result.discount_minor,
        },
    )
    return row["id"], result.discount_minor


async def _commit_points(
    order: OrderView,
    state: OrderIn,
    hold: Any,
    rules: ProgramRules,
    member: MemberState,
    cart: pricing.Cart,
    payable: int,
    at: datetime,
    now: datetime,
) -> int:
    """Spend the points the order says paid for it; the number spent (0 and a flag if not)."""
    points = state.points_redeemed
    if points <= 0:
        return 0
    if hold is not None and hold["points"] >= points:
        since = hold["earned_since"]
    else:
        result = pricing.points_discount(
            rules.points_as_money, member.wallet, cart, payable, points
        )
        if result.reasons:
            _flag(order, f"points_refused:{result.reasons[0].code}")
            return 0
        since = earned_since(rules, at)
    try:
        await spending.spend(
            order.member_id,
            points,
            kind="checkout_redeem",
            key=_spend_key(order.order_id),
            now=now,
            earned_since=since,
            order_id=order.order_id,
            reason="points paid part of an order",
        )
    except Conflict as exc:
        _flag(order, f"points_refused:{exc.code}")
        return 0
    value = pricing.points_value(rules.points_as_money, points)
    await _announce(order, state, "points", now, {"points": points, "discount_minor": value})
    return points


def _spend_key(order_id: str) -> str:
    return f"order:{order_id}:redeem"


async def _announce(
    order: OrderView, state: OrderIn, what: str, now: datetime, data: dict[str, Any]
) -> None:
    """``reward_redeemed`` to the shopper and ``admin_redemption_alert`` to the staff."""
    body = {**data, "what": what, "order_id": order.order_id, "customer_id": state.customer_id}
    for event, member_id in (
        ("reward_redeemed", order.member_id),
        ("admin_redemption_alert", None),
    ):
        await outbox.enqueue(
            event,
            member_id=member_id,
            dedupe_key=f"{event}:{what}:{order.order_id}",
            now=now,
            data={**body, "member_id": order.member_id},
        )


async def _on_cancel(order: OrderView, redemption: Any, now: datetime) -> None:
    """Release a hold; or give back every spent point and the coupon of a committed order."""
    if redemption is None or redemption["status"] in ("released", "returned"):
        return
    if redemption["status"] == "committed":
        await _return_points(order, redemption, redemption["points_spent"], now)
        if redemption["coupon_id"] is not None:
            await coupons.unuse(redemption["coupon_id"], order.order_id)
    status = "returned" if redemption["status"] == "committed" else "released"
    await db.execute(
        "UPDATE redemption SET status = $2, updated_at = $3 WHERE id = $1",
        redemption["id"],
        status,
        now,
    )


async def _return_refunded(order: OrderView, redemption: Any, now: datetime) -> None:
    """Give back spent points in proportion to the refunded amount (floor), like clawbacks."""
    if redemption is None or redemption["status"] != "committed" or order.refunded_minor <= 0:
        return
    target = accrual.clawback_target(
        redemption["points_spent"], order.total_minor, order.refunded_minor
    )
    await _return_points(order, redemption, target, now)


async def _return_points(order: OrderView, redemption: Any, target: int, now: datetime) -> None:
    give = target - redemption["points_returned"]
    if give <= 0:
        return
    await spending.give_back(
        _spend_key(order.order_id),
        give,
        key=f"order:{order.order_id}:redeem_return:{target}",
        now=now,
        kind="checkout_return",
        reason="points paid on a cancelled or refunded order",
    )
    await db.execute(
        "UPDATE redemption SET points_returned = $2, updated_at = $3 WHERE id = $1",
        redemption["id"],
        target,
        now,
    )
