"""Typed helpers that make test data through the public API, the way the shop and app would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec

from api import signing, tokens
from loyalty import staff
from loyalty.clock import FrozenClock
from loyalty.settings import Settings


@dataclass
class Api:
    """A client speaking as the shop (signed), a shopper (JWT) or staff (login token)."""

    client: httpx.AsyncClient
    settings: Settings
    clock: FrozenClock
    _staff_tokens: dict[str, str] = field(default_factory=dict)

    def signed(
        self, body: bytes, *, path: str, method: str = "PUT", at: datetime | None = None
    ) -> dict[str, str]:
        ts = int((at or self.clock.now()).timestamp())
        path = httpx.URL(path).raw_path.decode()  # the target as httpx sends it (%-encoded)
        sig = signing.sign(
            self.settings.shop_secret, method=method, path=path, body=body, timestamp=ts
        )
        return {
            signing.HEADER: sig,
            "content-type": "application/json",
        }

    async def shop_put(self, path: str, payload: Any) -> httpx.Response:
        body = msgspec.json.encode(payload)
        return await self.client.put(path, content=body, headers=self.signed(body, path=path))

    async def shop_post(self, path: str, payload: Any) -> httpx.Response:
        body = msgspec.json.encode(payload)
        headers = self.signed(body, path=path, method="POST")
        return await self.client.post(path, content=body, headers=headers)

    async def order(
        self,
        order_id: str,
        *,
        customer_id: str,
        total_minor: int,
        status: str = "placed",
        currency: str = "EUR",
        placed_at: datetime | None = None,
        expect: int = 200,
        **extra: Any,
    ) -> dict[str, Any]:
        payload = {
            "customer_id": customer_id,
            "status": status,
            "currency": currency,
            "total_minor": total_minor,
            "placed_at": (placed_at or self.clock.now()).isoformat(),
            **extra,
        }
        response = await self.shop_put(f"/v1/shop/orders/{order_id}", payload)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    def shopper(self, customer_id: str, *, ttl: timedelta = timedelta(hours=1)) -> dict[str, str]:
        token = tokens.issue(self.settings, customer_id, now=self.clock.now(), ttl=ttl)
        return {"authorization": f"Bearer {token}"}

    async def me(self, customer_id: str) -> dict[str, Any]:
        response = await self.client.get("/v1/me", headers=self.shopper(customer_id))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def staff_headers(self, role: str = "admin") -> dict[str, str]:
        """Log in as a staff member of ``role`` (created on first use)."""
        if role not in self._staff_tokens:
            email, password = f"{role}@test.example", f"{role}-password-1"
            await staff.ensure_account(email, password, role, now=self.clock.now())
            response = await self.client.post(
                "/v1/admin/login", json={"email": email, "password": password}
            )
            assert response.status_code == 200, response.text
            self._staff_tokens[role] = response.json()["token"]
        return {"authorization": f"Bearer {self._staff_tokens[role]}"}


async def balances(customer_id: str) -> dict[str, int]:
    """The member's cached balances straight from the database."""
    from loyalty import members

    m = await members.get(customer_id)
    return {k: m[k] for k in ("available", "pending", "lifetime", "spent", "expired")}


async def ledger_rows(customer_id: str) -> list[dict[str, Any]]:
    from loyalty import db

    rows = await db.fetch(
        """SELECT e.kind, e.available, e.pending, e.lifetime, e.spent, e.expired, e.order_id,
                  e.idempotency_key
           FROM ledger_entry e JOIN member m ON m.id = e.member
           WHERE m.customer_id = $1 ORDER BY e.id""",
        customer_id,
    )
    return [dict(r) for r in rows]


async def assert_ledger_consistent() -> None:
    from loyalty import ledger

    drift = await ledger.drift()
    assert drift == [], f"cache differs from ledger: {drift}"
