"""The scheduled jobs. Each is thin: it calls the domain service that owns the rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import ledger


async def check_ledger(as_of: datetime) -> dict[str, Any]:
    """Prove every cached balance equals its ledger (also ``loyalty check-ledger``)."""
    drift = await ledger.drift()
    return {"as_of": as_of.isoformat(), "members_with_drift": len(drift)}
