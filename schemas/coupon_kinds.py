"""The coupon kinds: one list for the program document, the catalogue, pricing and the pages.

``value`` means a percentage for :data:`PERCENT_KINDS` and minor units for ``amount_off``;
:data:`PRODUCT_KINDS` need a ``sku``.
"""

from __future__ import annotations

from typing import Literal, get_args

CouponKind = Literal[
    "percent_off", "amount_off", "free_shipping", "free_product", "percent_off_product"
]
COUPON_KINDS: tuple[CouponKind, ...] = get_args(CouponKind)
PERCENT_KINDS: tuple[CouponKind, ...] = ("percent_off", "percent_off_product")
PRODUCT_KINDS: tuple[CouponKind, ...] = ("free_product", "percent_off_product")
