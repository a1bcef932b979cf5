"""Bodies of the staff API (``/v1/admin``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.common import Name, StaffEmail
from schemas.program import ProgramRules

Reason = Annotated[str, Meta(min_length=3, max_length=500)]


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    password: Annotated[str, Meta(min_length=1, max_length=500)]


class LoginOut(msgspec.Struct):
    token: str
    email: str
    role: str


class ProgramOut(msgspec.Struct):
    rules: ProgramRules
    version: int
    updated_at: datetime | None


class AdjustmentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    points: Annotated[int, Meta(ge=-(10**9), le=10**9, description="Signed; not zero.")]
    reason: Reason
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=100)] | None = None


class BalancesOut(msgspec.Struct):
    available: int
    pending: int
    lifetime: int
    spent: int
    expired: int


class AdjustmentOut(msgspec.Struct):
    customer_id: str
    applied: bool
    balance: BalancesOut


class BlockIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class MemberOut(msgspec.Struct):
    customer_id: str
    email: str | None
    phone: str | None
    name: str | None
    birthday: date | None
    locale: str
    blocked: bool
    blocked_reason: str | None
    balance: BalancesOut
    last_order_at: datetime | None
    points_expire_at: datetime | None
    created_at: datetime


class StaffIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: StaffEmail
    password: Annotated[str, Meta(min_length=10, max_length=500)]
    role: Literal["admin", "staff", "marketing"]
    name: Name | None = None


class StaffOut(msgspec.Struct):
    email: str
    name: str | None
    role: str
    active: bool
    created_at: datetime


class StaffPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    role: Literal["admin", "staff", "marketing"] | None = None
    active: bool | None = None


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    reason: str | None
    details: dict[str, object]
