"""Rule 4, earn and burn: rewards marketing puts in a catalogue and shoppers unlock with points.

Unlocking locks the member row, checks the free balance (available minus checkout holds),
issues a coupon with the reward's terms and spends its cost through ``loyalty.spending`` in
one transaction, so concurrent unlocks can never overspend. An ``Idempotency-Key`` makes a
retried unlock return the first coupon instead of buying a second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import audit, db, locking, program, texts
from loyalty.errors import Conflict, Invalid, NotFound
from loyalty.rewards import coupons
from schemas.coupon_kinds import PERCENT_KINDS, PRODUCT_KINDS
from schemas.rewards import RewardIn

_COLUMNS = """id, title, description, points_cost, kind, value, sku, min_order_minor,
    valid_days, active, position, created_at, updated_at, titles, descriptions"""


def validate(data: RewardIn) -> None:
    """Cross-field checks: a percentage within 1-100, a SKU for product kinds."""
    if data.kind in PERCENT_KINDS and not 1 <= data.value <= 100:
        raise Invalid("invalid_reward", "value must be a percentage from 1 to 100", field="value")
    if data.kind in PRODUCT_KINDS and not data.sku:
        raise Invalid("invalid_reward", "this kind of reward needs a sku", field="sku")
    if data.kind == "amount_off" and data.value <= 0:
        raise Invalid("invalid_reward", "an amount off must be above 0", field="value")


async def create(data: RewardIn, *, actor: str, now: datetime) -> dict[str, Any]:
    validate(data)
    async with db.transaction():
        row = await db.fetchrow(
            f"""INSERT INTO reward (title, description, points_cost, kind, value, sku,
                   min_order_minor, valid_days, active, position, titles, descriptions,
                   created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
               RETURNING {_COLUMNS}""",
            *await _values(data),
            now,
        )
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        created: dict[str, Any] = {**_decoded(row), "unlocked": 0}
        await audit.record(
            actor, "reward.create", now=now, target=f"reward:{row['id']}", details=_details(data)
        )
    return created


async def update(reward_id: int, data: RewardIn, *, actor: str, now: datetime) -> dict[str, Any]:
    """Replace a reward's terms; coupons already unlocked keep the terms they were issued with."""
    validate(data)
    async with db.transaction():
        row = await db.fetchrow(
            f"""UPDATE reward SET title = $2, description = $3, points_cost = $4, kind = $5,
                   value = $6, sku = $7, min_order_minor = $8, valid_days = $9, active = $10,
                   position = $11, titles = $12, descriptions = $13, updated_at = $14
               WHERE id = $1 RETURNING {_COLUMNS}""",
            reward_id,
            *await _values(data),
            now,
        )
        if row is None:
            raise NotFound("reward_not_found", f"no reward {reward_id}")
        await audit.record(
            actor, "reward.update", now=now, target=f"reward:{reward_id}", details=_details(data)
        )
    return await get(reward_id)


async def deactivate(reward_id: int, *, actor: str, now: datetime) -> None:
    """Take a reward out of the catalogue (rows stay: coupons refer to them)."""
    async with db.transaction():
        done = await db.fetchval(
            "UPDATE reward SET active = false, updated_at = $2 WHERE id = $1 RETURNING id",
            reward_id,
            now,
        )
        if done is None:
            raise NotFound("reward_not_found", f"no reward {reward_id}")
        await audit.record(actor, "reward.deactivate", now=now, target=f"reward:{reward_id}")


async def _values(data: RewardIn) -> tuple[Any, ...]:
    """Column values; ``title``/``description`` hold the program default locale's text."""
    default = (await program.get_rules()).default_locale
    return (
        texts.pick(data.title, default, default),
        texts.pick(data.description, default, default),
        data.points_cost,
        data.kind,
        data.value,
        data.sku,
        data.min_order_minor,
        data.valid_days,
        data.active,
        data.position,
        db.dumps(texts.as_map(data.title, default)),
        db.dumps(texts.as_map(data.description, default) if data.description else {}),
    )


def _decoded(row: Any) -> dict[str, Any]:
    """A reward row with its jsonb ``titles`` and ``descriptions`` as dicts."""
    out = dict(row)
    for name in ("titles", "descriptions"):
        out[name] = db.loads(out[name]) if isinstance(out[name], str) else out[name] or {}
    return out


def localised(row: dict[str, Any], locale: str | None) -> dict[str, Any]:
    """The reward row with ``title`` and ``description`` in ``locale`` (else the default's)."""
    return {
        **row,
        "title": texts.local(row.get("titles"), locale, row["title"]),
        "description": texts.local(row.get("descriptions"), locale, row["description"]),
    }


def _details(data: RewardIn) -> dict[str, Any]:
    return {"title": data.title, "points_cost": data.points_cost, "active": data.active}


async def get(reward_id: int) -> dict[str, Any]:
    row = await db.fetchrow(
        f"""SELECT {_COLUMNS}, (SELECT count(*) FROM coupon c WHERE c.reward_id = r.id)
                  AS unlocked
            FROM reward r WHERE id = $1""",
        reward_id,
    )
    if row is None:
        raise NotFound("reward_not_found", f"no reward {reward_id}")
    return _decoded(row)


async def list_all(*, active_only: bool) -> list[dict[str, Any]]:
    """The catalogue in display order (``position``, then cheapest first)."""
    rows = await db.fetch(
        f"""SELECT {_COLUMNS}, (SELECT count(*) FROM coupon c WHERE c.reward_id = r.id)
                  AS unlocked
            FROM reward r WHERE active OR NOT $1
            ORDER BY position, points_cost, id""",
        active_only,
    )
    return [_decoded(r) for r in rows]


async def unlock(
    customer_id: str, reward_id: int, *, now: datetime, idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """Spend the reward's points and issue its coupon; ``(coupon, created)``.

    Raises ``NotFound`` (member, reward), ``Conflict`` ``member_blocked`` or
    ``insufficient_points`` (with ``available`` and ``needed``).
    """
    async with db.transaction():
        member = await locking.lock_customer(customer_id)
        if member is None:
            raise NotFound("member_not_found", f"no member with customer id {customer_id!r}")
        key = await _unlock_key(member.id, reward_id, idempotency_key)
        found = await coupons.by_issue_key(key)
        if found is not None:
            return found, False
        reward = await _active_reward(reward_id)
        await _check_can_pay(member, reward["points_cost"], now)
        issued = await coupons.issue(member.id, _new_coupon(reward, key), now=now)
    return issued


async def _unlock_key(member_id: int, reward_id: int, idempotency_key: str | None) -> str:
    """With a client key: that key. Without: the member's next unlock number (row locked)."""
    if idempotency_key:
        return f"unlock:{member_id}:{reward_id}:{idempotency_key}"
    count = await db.fetchval(
        "SELECT count(*) FROM coupon WHERE member = $1 AND source = 'reward'", member_id
    )
    return f"unlock:{member_id}:n{int(count) + 1}"


async def _active_reward(reward_id: int) -> dict[str, Any]:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM reward WHERE id = $1", reward_id)
    if row is None or not row["active"]:
        raise NotFound("reward_not_found", f"no reward {reward_id} in the catalogue")
    return _decoded(row)


async def _check_can_pay(member: locking.LockedMember, cost: int, now: datetime) -> None:
    if member.blocked:
        raise Conflict("member_blocked", "a blocked member cannot spend points")
    free = member.available - await coupons.held_points(member.id, now)
    if free < cost:
        raise Conflict(
            "insufficient_points", "not enough points", available=max(free, 0), needed=cost
        )


def _new_coupon(reward: dict[str, Any], key: str) -> coupons.NewCoupon:
    return coupons.NewCoupon(
        title=reward["title"],
        titles=reward["titles"],
        kind=reward["kind"],
        value=reward["value"],
        sku=reward["sku"],
        min_order_minor=reward["min_order_minor"],
        valid_days=reward["valid_days"],
        source="reward",
        issue_key=key,
        reward_id=reward["id"],
        points_cost=reward["points_cost"],
        spend_kind="reward_unlock",
    )
