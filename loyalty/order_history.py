"""A shopper's purchase history (``GET /v1/me/orders``), newest first, cursor-paginated.

Orders are ordered by the shop's ``placed_at`` (then id), so imported history sits where it
happened. The cursor is ``<placed_at in µs>.<id>`` of the last order of a page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from loyalty import db
from loyalty.errors import Invalid

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = """id, order_id, status, currency, total_minor, refunded_minor, points, points_state,
    clawed_back, points_redeemed, coupon_code, channel, store_id, placed_at"""


def cursor_of(row: dict[str, Any]) -> str:
    micros = (row["placed_at"] - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{row['id']}"


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    micros, _, ident = cursor.partition(".")
    if not (micros.lstrip("-").isdigit() and ident.isdigit()) or len(cursor) > 40:
        raise Invalid("invalid_cursor", "cursor must come from a previous page's next_cursor")
    return _EPOCH + timedelta(microseconds=int(micros)), int(ident)


async def page(
    member_id: int, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the member's orders and the cursor of the next (``None`` at the end)."""
    if cursor is None:
        rows = await db.fetch(
            f"""SELECT {_COLUMNS} FROM shop_order WHERE member = $1
                ORDER BY placed_at DESC, id DESC LIMIT $2""",
            member_id,
            limit + 1,
        )
    else:
        at, ident = parse_cursor(cursor)
        rows = await db.fetch(
            f"""SELECT {_COLUMNS} FROM shop_order WHERE member = $1 AND (placed_at, id) < ($3, $4)
                ORDER BY placed_at DESC, id DESC LIMIT $2""",
            member_id,
            limit + 1,
            at,
            ident,
        )
    found = [dict(r) for r in rows]
    more = len(found) > limit
    found = found[:limit]
    return found, (cursor_of(found[-1]) if more else None)
