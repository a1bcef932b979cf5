"""Rows of ``loyalty import`` files: the shop API's bodies with the id the path would carry.

A member row is ``PUT /v1/shop/customers/{customer_id}``'s body plus ``customer_id`` and an
optional ``opening_balance`` (points brought from another system, posted once, dated
``opening_balance_at`` or the run). An order row is ``PUT /v1/shop/orders/{order_id}``'s body
plus ``order_id``; several rows of one order are its successive states, in file order.
"""

from __future__ import annotations

from datetime import datetime

from schemas.common import Id, Points
from schemas.shop import CustomerIn, OrderIn


class MemberRow(CustomerIn, forbid_unknown_fields=True, kw_only=True):
    customer_id: Id
    opening_balance: Points = 0
    opening_balance_at: datetime | None = None


class OrderRow(OrderIn, forbid_unknown_fields=True, frozen=True, kw_only=True):
    order_id: Id
