"""The ``deliver`` job: the outbox worker's entry point (kicked after requests, swept by cron)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from loyalty.notify import delivery, runtime

log = logging.getLogger("loyalty.notify")


async def deliver(as_of: datetime) -> dict[str, Any]:
    """Send every notification due at ``as_of`` by push and email, recording each outcome."""
    async with runtime.borrow() as rt:
        counts = await delivery.run(
            rt.senders, now=as_of, deep_link=rt.settings.deep_link, policy=rt.policy
        )
    if counts:
        log.info("deliver: %s", counts)
    return {"as_of": as_of.isoformat(), **counts}
