"""A mixed order history, sent through the API or written as import files, and a snapshot of
everything it produced per customer, to compare the two ways."""

from __future__ import annotations

import csv
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from loyalty import db, program
from loyalty.clock import FrozenClock
from loyalty.imports import runner
from tests.helpers import Api

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def history(
    seed: int = 7, customers: int = 12, orders: int = 80
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(member rows, order rows): every status path, refunds, items, a year of dates."""
    rng = random.Random(seed)
    people = [
        {
            "customer_id": f"c-{i}",
            "email": f"c{i}@example.no",
            "name": f"Person {i}",
            "locale": "nb",
            "newsletter": i % 2 == 0,
        }
        for i in range(customers)
    ]
    rows: list[dict[str, Any]] = []
    for n in range(orders):
        customer = f"c-{rng.randrange(customers)}"
        placed = START + timedelta(days=n * 4, hours=rng.randrange(10))
        total = rng.choice([1_999, 12_500, 30_000, 52_500, 80_000])
        base = {
            "customer_id": customer,
            "currency": "EUR",
            "total_minor": total,
            "placed_at": placed.isoformat(),
            "order_id": f"o-{n}",
        }
        if n % 5 == 0:
            base["items"] = [{"sku": "SKU-1", "quantity": 2, "unit_price_minor": total // 2}]
        path = rng.choice(["done", "two-step", "cancel", "refund-part", "refund-all", "open"])
        if path == "done":
            rows.append({**base, "status": "completed"})
        elif path == "two-step":
            rows += [{**base, "status": "placed"}, {**base, "status": "completed"}]
        elif path == "cancel":
            rows += [{**base, "status": "placed"}, {**base, "status": "cancelled"}]
        elif path == "refund-part":
            rows += [
                {**base, "status": "completed"},
                {**base, "status": "refunded", "refunded_minor": total // 3},
            ]
        elif path == "refund-all":
            rows += [
                {**base, "status": "completed"},
                {**base, "status": "refunded", "refunded_minor": total},
            ]
        else:
            rows.append({**base, "status": "paid"})
    return people, rows


async def through_api(api: Api, people: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    for p in people:
        body = {k: v for k, v in p.items() if k != "customer_id"}
        r = await api.shop_put(f"/v1/shop/customers/{p['customer_id']}", body)
        assert r.status_code == 200, r.text
    for row in rows:
        body = {k: v for k, v in row.items() if k != "order_id"}
        r = await api.shop_put(f"/v1/shop/orders/{row['order_id']}", body)
        assert r.status_code == 200, r.text


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    names = sorted({k for r in rows for k in r})
    with path.open("w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=names)
        out.writeheader()
        for r in rows:
            out.writerow(
                {
                    k: msgspec.json.encode(v).decode() if isinstance(v, list) else v
                    for k, v in r.items()
                }
            )
    return path


def write_ndjson(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in rows))
    return path


async def run_file(
    kind: runner.Kind, path: Path, clock: FrozenClock, **options: Any
) -> tuple[runner.Report, list[tuple[int, str]]]:
    rejects: list[tuple[int, str]] = []
    with path.open("rb") as f:
        report = await runner.run(
            kind,
            f,
            source=str(path),
            clock=clock,
            options=runner.Options(**options),
            on_reject=lambda line, reason: rejects.append((line, reason)),
        )
    return report, rejects


async def wipe(tables: list[str]) -> None:
    """Everything but the program, as before a first import."""
    keep = {"program", "staff_user", "staff_session"}
    await db.execute(
        f"TRUNCATE {', '.join(t for t in tables if t not in keep)} RESTART IDENTITY CASCADE"
    )
    program._cache = None


def _key(key: str, member_id: int) -> str:
    """Keys without the row ids that depend on the order rows were written in."""
    key = key.replace(f":{member_id}:", ":M:")
    return re.sub(r"^coupon_void:\d+", "coupon_void:C", key)


async def snapshot() -> dict[str, Any]:
    """Per customer: balances, dates, lots, ledger entries, coupons and orders (no ids)."""
    members = await db.fetch(
        """SELECT id, customer_id, available, pending, lifetime, spent, expired, last_order_at,
                  points_expire_at, email, name FROM member ORDER BY customer_id"""
    )
    out: dict[str, Any] = {}
    for m in members:
        mid = m["id"]
        lots = await db.fetch(
            "SELECT earned_at, expires_at, points, remaining FROM point_lot WHERE member = $1"
            " ORDER BY earned_at, points, remaining",
            mid,
        )
        entries = await db.fetch(
            """SELECT kind, available, pending, lifetime, spent, expired, order_id,
                      effective_at, idempotency_key FROM ledger_entry WHERE member = $1
               ORDER BY idempotency_key""",
            mid,
        )
        coupons = await db.fetch(
            "SELECT source, status, value, kind, expires_at FROM coupon WHERE member = $1"
            " ORDER BY issue_key",
            mid,
        )
        orders = await db.fetch(
            """SELECT order_id, status, total_minor, refunded_minor, points, points_state,
                      clawed_back, placed_at, flags::text FROM shop_order WHERE member = $1
               ORDER BY order_id""",
            mid,
        )
        member = {k: v for k, v in dict(m).items() if k != "id"}
        member["idempotency_keys"] = None
        out[m["customer_id"]] = {
            "member": member,
            "lots": [dict(r) for r in lots],
            "ledger": [
                {k: v for k, v in dict(r).items() if k != "idempotency_key"}
                | {"key": _key(r["idempotency_key"], mid)}
                for r in entries
            ],
            "coupons": [dict(r) for r in coupons],
            "orders": [dict(r) for r in orders],
        }
    return out


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Where two snapshots differ, for a readable failure."""
    found = []
    for customer in sorted(set(a) | set(b)):
        x, y = a.get(customer, {}), b.get(customer, {})
        for part in sorted(set(x) | set(y)):
            if x.get(part) != y.get(part):
                found.append(f"{customer}.{part}: {x.get(part)} != {y.get(part)}")
    return found
