"""The ``webhooks`` job: deliver due webhook events (cron every ten seconds)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from loyalty.webhooks import delivery, runtime

log = logging.getLogger("loyalty.webhooks")


async def deliver_webhooks(as_of: datetime) -> dict[str, Any]:
    """Post every webhook delivery due at ``as_of``, recording each attempt."""
    async with runtime.borrow() as rt:
        counts = await delivery.run(lambda: as_of, rt.client, rt.policy)
    if any(counts.values()):
        log.info("webhooks: %s", counts)
    return {"as_of": as_of.isoformat(), **counts}
