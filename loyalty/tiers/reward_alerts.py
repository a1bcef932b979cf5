"""``reward_available`` (seeds 000 and 002): tell a member when their available balance first
reaches the cost of a catalogue reward, once per reward per crossing.

A reaction to every credit (``PointsMoved`` at priority 50). A crossing is "the balance before
this entry was below the cost and the balance now is at or above it"; "now" is read after the
reactions of lower priority ran, so points a threshold coupon just burnt are not announced as
available. The entry id is part of the dedupe key: the same crossing is told once, and the
member is told again only after the balance dropped below and rose again (a new entry).

With ``threshold_nudge_points`` set (N > 0), the same event also says when the balance first
comes within N points of the threshold coupon ("almost there"): the crossing of
``threshold - N``, while still short of the threshold (reaching it issues the coupon itself).
"""

from __future__ import annotations

import time

from loyalty import db, outbox, program, reactions

PRIORITY = 50
CACHE_SECONDS = 1.0
_cache: tuple[float, list[tuple[int, str, int]]] | None = None


async def _rewards() -> list[tuple[int, str, int]]:
    """Active rewards as ``(id, title, points_cost)``, cheapest first (cached a second, like
    the rules: this runs on every credit and the catalogue rarely changes)."""
    global _cache
    if _cache is not None and time.monotonic() - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    rows = await db.fetch(
        "SELECT id, title, points_cost FROM reward WHERE active AND points_cost > 0"
        " ORDER BY points_cost, id"
    )
    _cache = (time.monotonic(), [(r["id"], r["title"], r["points_cost"]) for r in rows])
    return _cache[1]


@reactions.on_points_moved(PRIORITY)
async def reward_within_reach(event: reactions.PointsMoved) -> None:
    if event.delta.available <= 0:
        return
    before = event.balances.available - event.delta.available
    candidates = [r for r in await _rewards() if before < r[2] <= event.balances.available]
    await _nudge(event, before)
    if not candidates:
        return
    row = await db.fetchrow("SELECT available, blocked FROM member WHERE id = $1", event.member_id)
    if row is None or row["blocked"]:
        return
    for reward_id, title, cost in candidates:
        if cost <= row["available"]:
            await outbox.enqueue(
                "reward_available",
                member_id=event.member_id,
                dedupe_key=f"reward_available:{event.member_id}:{reward_id}:{event.entry_id}",
                now=event.now,
                data={"reward_id": reward_id, "reward_title": title, "points": cost},
            )


async def _nudge(event: reactions.PointsMoved, before: int) -> None:
    """The "almost there" variant: the balance crossed ``threshold - N`` and is still short."""
    rules = await program.get_rules()
    n, threshold = rules.threshold_nudge_points, rules.threshold_points
    mark = threshold - n
    if n <= 0 or threshold <= 0 or mark <= 0:
        return
    if not before < mark <= event.balances.available < threshold:
        return
    row = await db.fetchrow("SELECT available, blocked FROM member WHERE id = $1", event.member_id)
    if row is None or row["blocked"] or not mark <= row["available"] < threshold:
        return
    await outbox.enqueue(
        "reward_available",
        member_id=event.member_id,
        dedupe_key=f"reward_available:{event.member_id}:threshold:{event.entry_id}",
        now=event.now,
        data={
            "reward_id": None,
            "reward_title": rules.coupon.title,
            "points": threshold,
            "missing": threshold - row["available"],
        },
    )
