"""Members' tiers (rule 13): up at once, down only after retention, by hand with a reason.

- :func:`evaluate` runs inside the transaction of whatever moved the qualifying total (the
  "points moved" / "order advanced" reactions, which hold the member's row lock, so two
  evaluations of one member never interleave): a member whose total reaches a higher level
  moves up now, is told by push and email (outbox event ``tier_up``) and gets the level's
  coupon once. It never moves anyone down.
- :func:`run_daily` (job ``tiers``) moves down members whose retention has ended and whose
  window no longer qualifies; one who still qualifies has the retention renewed. Changing the
  levels therefore re-evaluates nobody downward before their retention ends.
- :func:`set_by_staff` sets a level by hand with a reason (audited); retention starts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from loyalty import audit, db, outbox, program
from loyalty.activity import referral_coupons as coupons
from loyalty.errors import Invalid, NotFound
from loyalty.tiers import qualify
from loyalty.webhooks import events as webhook_events
from schemas.earning import NextTier, TierLevel, TierOut, Tiers
from schemas.program import CouponTerms, ProgramRules


@dataclass(frozen=True, slots=True)
class Current:
    tier_id: str
    since: datetime
    retained_until: datetime
    manual: bool


async def current(member_id: int, *, lock: bool = False) -> Current | None:
    row = await db.fetchrow(
        "SELECT tier_id, since, retained_until, manual FROM member_tier WHERE member = $1"
        + (" FOR UPDATE" if lock else ""),
        member_id,
    )
    return None if row is None else Current(**dict(row))


async def evaluate(
    member_id: int, *, now: datetime, change: qualify.OrderChange | None = None
) -> str | None:
    """Move the member up if their qualifying total now reaches a higher level.

    Returns the new tier id when they moved up."""
    rules = await program.get_rules()
    tiers = rules.tiers
    if not tiers.enabled or not tiers.levels:
        return None
    held, total = await qualify.standing(member_id, tiers, now, change)
    reached = qualify.level_for(tiers, total)
    if reached is None:
        return None
    if qualify.rank(tiers, held) >= qualify.rank(tiers, reached.id):
        return None
    await _move(member_id, reached, tiers, now=now, manual=False, reason=None)
    await _changed(member_id, tiers, held, reached.id, now=now)
    if held is not None or qualify.rank(tiers, reached.id) > 0:
        await _announce(member_id, reached, rules, now=now)
    return reached.id


async def _move(
    member_id: int,
    level: TierLevel,
    tiers: Tiers,
    *,
    now: datetime,
    manual: bool,
    reason: str | None,
) -> None:
    await db.execute(
        """INSERT INTO member_tier (member, tier_id, since, retained_until, manual, reason,
                                    updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $3)
           ON CONFLICT (member) DO UPDATE SET tier_id = EXCLUDED.tier_id,
             since = EXCLUDED.since, retained_until = EXCLUDED.retained_until,
             manual = EXCLUDED.manual, reason = EXCLUDED.reason, updated_at = EXCLUDED.since""",
        member_id,
        level.id,
        now,
        now + timedelta(days=tiers.retain_days),
        manual,
        reason,
    )


async def _changed(
    member_id: int, tiers: Tiers, before: str | None, after: str | None, *, now: datetime
) -> None:
    """The ``tier.changed`` webhook, in the transaction of the move (nothing when unchanged)."""
    if before == after:
        return
    names = {level.id: level.name for level in tiers.levels}

    def ref(tier_id: str | None) -> dict[str, Any] | None:
        return None if tier_id is None else {"id": tier_id, "name": names.get(tier_id, tier_id)}

    key = f"{member_id}:{before}:{after}:{now.isoformat()}"
    await webhook_events.tier_changed(
        member_id, previous=ref(before), current=ref(after), key=key, now=now
    )


async def _announce(
    member_id: int, level: TierLevel, rules: ProgramRules, *, now: datetime
) -> None:
    """Tell the member (push and email, the perks in their locale) and give the level's coupon,
    once per level reached."""
    key = f"tier_up:{member_id}:{level.id}:{now.date().isoformat()}"
    data: dict[str, Any] = {"tier_id": level.id, "tier_name": level.name}
    locale = await db.fetchval("SELECT locale FROM member WHERE id = $1", member_id)
    data["perks"] = perks_in(level, locale, rules.default_locale) or ""
    if level.coupon is not None:
        terms = msgspec.convert(msgspec.to_builtins(level.coupon), CouponTerms)
        issued = await coupons.issue(
            member_id, terms, key=f"tier_coupon:{member_id}:{level.id}", now=now
        )
        data |= {"coupon_code": issued.data()["code"], "coupon_title": issued.title}
    await outbox.enqueue("tier_up", member_id=member_id, dedupe_key=key, now=now, data=data)


async def set_by_staff(
    customer_id: str, tier_id: str, *, reason: str, actor: str, now: datetime
) -> Current:
    """Staff put a member on a level by hand (a mandatory reason; audited)."""
    rules = await program.get_rules()
    levels = {level.id: level for level in rules.tiers.levels}
    reason = reason.strip()
    if not rules.tiers.enabled or tier_id not in levels:
        raise Invalid("unknown_tier", f"no tier {tier_id!r} in the program", field="tier_id")
    if len(reason) < 3:
        raise Invalid("reason_required", "a reason of at least 3 characters is required")
    async with db.transaction():
        member_id = await db.fetchval(
            "SELECT id FROM member WHERE customer_id = $1 FOR NO KEY UPDATE", customer_id
        )
        if member_id is None:
            raise NotFound("member_not_found", f"no member with customer id {customer_id!r}")
        before = await current(member_id, lock=True)
        await _move(member_id, levels[tier_id], rules.tiers, now=now, manual=True, reason=reason)
        await _changed(member_id, rules.tiers, before.tier_id if before else None, tier_id, now=now)
        await audit.record(
            actor,
            "member.tier",
            now=now,
            target=customer_id,
            reason=reason,
            details={"from": before.tier_id if before else None, "to": tier_id},
        )
    held = await current(member_id)
    assert held is not None
    return held


async def run_daily(as_of: datetime) -> dict[str, int]:
    """Move down members whose retention ended and who no longer qualify (job ``tiers``)."""
    rules = await program.get_rules()
    tiers = rules.tiers
    counts = {"checked": 0, "down": 0, "kept": 0, "up": 0}
    if not tiers.enabled or not tiers.levels:
        return counts
    due = await db.fetch(
        "SELECT member FROM member_tier WHERE retained_until <= $1 ORDER BY member", as_of
    )
    for row in due:
        counts["checked"] += 1
        counts[await _review(row["member"], tiers, rules, as_of)] += 1
    return counts


async def _review(member_id: int, tiers: Tiers, rules: ProgramRules, as_of: datetime) -> str:
    """One member whose retention ended: renewed while they qualify, else moved down."""
    async with db.transaction():
        outcome = await _review_locked(member_id, tiers, rules, as_of)
    return outcome


async def _review_locked(member_id: int, tiers: Tiers, rules: ProgramRules, as_of: datetime) -> str:
    held = await current(member_id, lock=True)
    if held is None or held.retained_until > as_of:
        return "kept"
    reached = qualify.level_for(tiers, await qualify.total(member_id, tiers, as_of))
    have, get = (
        qualify.rank(tiers, held.tier_id),
        qualify.rank(tiers, reached.id if reached else None),
    )
    if get >= have and reached is not None:
        await db.execute(
            "UPDATE member_tier SET retained_until = $2, updated_at = $3 WHERE member = $1",
            member_id,
            as_of + timedelta(days=tiers.retain_days),
            as_of,
        )
        if get > have:
            await _move(member_id, reached, tiers, now=as_of, manual=False, reason=None)
            await _changed(member_id, tiers, held.tier_id, reached.id, now=as_of)
            await _announce(member_id, reached, rules, now=as_of)
            return "up"
        return "kept"
    if reached is None:
        await db.execute("DELETE FROM member_tier WHERE member = $1", member_id)
    else:
        await _move(member_id, reached, tiers, now=as_of, manual=False, reason=None)
    await _changed(member_id, tiers, held.tier_id, reached.id if reached else None, now=as_of)
    return "down"


async def me_block(
    member_id: int, rules: ProgramRules, now: datetime, *, locale: str | None = None
) -> TierOut | None:
    """``GET /v1/me``'s (and the till's) ``tier``: the level, since when, what is missing to
    the next, and the perks in the member's ``locale`` (the program's default as fallback)."""
    tiers = rules.tiers
    if not tiers.enabled or not tiers.levels:
        return None
    held = await current(member_id)
    total = await qualify.total(member_id, tiers, now)
    level = None
    if held is not None:
        level = next((x for x in tiers.levels if x.id == held.tier_id), None)
    if level is None:
        level = qualify.level_for(tiers, total)
    upcoming = qualify.next_level(tiers, level.id if level else None)
    nxt = None
    if upcoming is not None:
        nxt = NextTier(
            id=upcoming.id, name=upcoming.name, missing=max(upcoming.threshold - total, 0)
        )
    if level is None:
        return TierOut(id=None, name=None, since=None, next=nxt)  # below the first level
    return TierOut(
        id=level.id,
        name=level.name,
        since=held.since if held and held.tier_id == level.id else None,
        next=nxt,
        perks=perks_in(level, locale, rules.default_locale),
    )


def perks_in(level: TierLevel, locale: str | None, default: str) -> str | None:
    """The level's perks in ``locale`` (``nb-NO`` falls back to ``nb``), else the default."""
    for want in (locale, (locale or "").split("-")[0], default):
        if want and want in level.perks:
            return level.perks[want]
    return None


async def forget_member(member_id: int, customer_id: str, now: datetime) -> None:
    """Erasure step: the erased member holds no tier. The row itself names nobody, but its
    staff ``reason`` is free text, an erased member must not count in the members per tier,
    and the daily job must not move them (nor tell webhooks) later. No ``tier.changed``:
    receivers get ``member.erased``."""
    await db.execute("DELETE FROM member_tier WHERE member = $1", member_id)


async def members_per_tier() -> dict[str, int]:
    """How many members hold each level (the dashboard)."""
    rows = await db.fetch("SELECT tier_id, count(*) AS n FROM member_tier GROUP BY tier_id")
    return {r["tier_id"]: int(r["n"]) for r in rows}
