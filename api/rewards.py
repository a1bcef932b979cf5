"""Coupons and the reward catalogue: the shopper's list and unlocks, marketing's catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from api.deps import CustomerId, Me, Now, allow, provide_customer_id, provide_now, provide_staff
from api.shop import PathId
from loyalty import members
from loyalty.rewards import catalogue, codes, coupons, reach
from schemas.rewards import (
    CouponList,
    CouponOut,
    RewardAdminOut,
    RewardIn,
    RewardList,
    RewardOut,
    UnlockOut,
)

RewardId = Annotated[int, PathParameter(ge=1, le=2**62)]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]


def coupon_out(row: dict[str, Any], now: Any, locale: str | None = None) -> CouponOut:
    """The coupon with its title in ``locale`` (the shopper's), else the default locale's."""
    return CouponOut(
        id=row["id"],
        code=codes.display(row["code"]),
        title=coupons.title_for(row, locale),
        kind=row["kind"],
        value=row["value"],
        sku=row["sku"],
        min_order_minor=row["min_order_minor"],
        status=coupons.status_at(row, now),  # type: ignore[arg-type]
        source=row["source"],
        reward_id=row["reward_id"],
        points_cost=row["points_cost"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        used_order_id=row["used_order_id"],
        reserved_until=row.get("reserved_until"),
    )


def coupon_list(rows: list[dict[str, Any]], now: Any, locale: str | None = None) -> CouponList:
    items = [coupon_out(r, now, locale) for r in rows]
    return CouponList(items=items, active=sum(1 for c in items if c.status == "active"))


def reward_out(row: dict[str, Any], purse: reach.Purse) -> RewardOut:
    can = reach.reach(purse, row["points_cost"])
    return RewardOut(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        points_cost=row["points_cost"],
        kind=row["kind"],
        value=row["value"],
        sku=row["sku"],
        min_order_minor=row["min_order_minor"],
        valid_days=row["valid_days"],
        affordable=can.affordable,
        points_missing=can.points_missing,
    )


def reward_admin_out(row: dict[str, Any]) -> RewardAdminOut:
    return RewardAdminOut(**{f: row[f] for f in RewardAdminOut.__struct_fields__})


class MeRewardsController(Controller):
    path = "/v1/me"
    tags = ["shopper"]
    dependencies = {"customer_id": Provide(provide_customer_id), "now": Provide(provide_now)}
    security = [{"shopperJWT": []}]

    @get("/coupons")
    async def my_coupons(self, customer_id: CustomerId, now: Now, limit: Limit = 100) -> CouponList:
        """The shopper's discounts: usable ones first (soonest to expire first), then used,
        expired and void ones. Every push opens the app here (empty for a new shopper)."""
        member = await members.find(customer_id)
        if member is None:
            return CouponList(items=[], active=0)
        rows = await coupons.list_for_member(member["id"], now=now, limit=limit)
        return coupon_list(rows, now, member["locale"])

    @get("/rewards")
    async def my_rewards(self, customer_id: CustomerId, now: Now) -> RewardList:
        """The catalogue, with whether the shopper can unlock each reward now (points not held
        by a checkout, not blocked)."""
        member = await members.find(customer_id)
        rows = await catalogue.list_all(active_only=True)
        available = member["available"] if member else 0
        locale = member["locale"] if member else None
        purse = await reach.purse(
            member["id"] if member else None,
            available=available,
            blocked=bool(member and member["blocked"]),
            now=now,
        )
        return RewardList(
            items=[reward_out(catalogue.localised(r, locale), purse) for r in rows],
            available_points=max(available, 0),
        )

    @post("/rewards/{reward_id:int}/unlock", status_code=201)
    async def unlock(
        self,
        customer_id: CustomerId,
        reward_id: RewardId,
        now: Now,
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", min_length=1, max_length=100, required=False),
        ] = None,
    ) -> UnlockOut:
        """Spend the reward's points and get its coupon. 409 ``insufficient_points`` or
        ``member_blocked``; a repeated ``Idempotency-Key`` returns the first coupon."""
        row, created = await catalogue.unlock(
            customer_id, reward_id, now=now, idempotency_key=idempotency_key
        )
        member = await members.get(customer_id)
        return UnlockOut(
            coupon=coupon_out(row, now, member["locale"]),
            created=created,
            available_points=max(member["available"], 0),
        )


class AdminRewardsController(Controller):
    path = "/v1/admin"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @get("/rewards", guards=[allow("program.read")])
    async def list_rewards(
        self, include_inactive: Annotated[bool, QueryParameter()] = True
    ) -> list[RewardAdminOut]:
        """The catalogue in display order, with how many times each was unlocked."""
        rows = await catalogue.list_all(active_only=not include_inactive)
        return [reward_admin_out(r) for r in rows]

    @get("/rewards/{reward_id:int}", guards=[allow("program.read")])
    async def get_reward(self, reward_id: RewardId) -> RewardAdminOut:
        return reward_admin_out(await catalogue.get(reward_id))

    @post("/rewards", guards=[allow("rewards.write")])
    async def create_reward(self, data: JSONBody[RewardIn], me: Me, now: Now) -> RewardAdminOut:
        """Add a reward to the catalogue (audited)."""
        return reward_admin_out(await catalogue.create(data, actor=me.email, now=now))

    @put("/rewards/{reward_id:int}", guards=[allow("rewards.write")])
    async def update_reward(
        self, reward_id: RewardId, data: JSONBody[RewardIn], me: Me, now: Now
    ) -> RewardAdminOut:
        """Replace a reward's terms; coupons already unlocked keep theirs (audited)."""
        return reward_admin_out(await catalogue.update(reward_id, data, actor=me.email, now=now))

    @delete("/rewards/{reward_id:int}", guards=[allow("rewards.write")], status_code=204)
    async def delete_reward(self, reward_id: RewardId, me: Me, now: Now) -> None:
        """Take a reward out of the catalogue; it stays on record for its coupons (audited)."""
        await catalogue.deactivate(reward_id, actor=me.email, now=now)

    @get("/members/{customer_id:str}/coupons", guards=[allow("members.read")])
    async def member_coupons(self, customer_id: PathId, now: Now, limit: Limit = 100) -> CouponList:
        """A member's coupons as the shopper sees them (support questions)."""
        member = await members.get(customer_id)
        rows = await coupons.list_for_member(member["id"], now=now, limit=limit)
        return coupon_list(rows, now)
