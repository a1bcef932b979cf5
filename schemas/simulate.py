"""Bodies of the what-if replay (``POST /v1/admin/program/simulate``, rule 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.program import ProgramRules


class SimulateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The proposed rules and how many days of stored orders to replay."""

    rules: ProgramRules
    days: Annotated[int, Meta(ge=1, le=3_650)] = 30


class Figures(msgspec.Struct):
    points_issued: int
    coupons_issued: int
    members_per_tier: dict[str, int]
    outstanding_points: int
    liability_minor: int | None
    liability_basis: str


class SimulateOut(msgspec.Struct):
    """The same orders replayed under the current and the proposed rules (nothing saved)."""

    days: int
    since: datetime
    orders: int
    members: int
    current: Figures
    proposed: Figures
