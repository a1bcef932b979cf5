"""Signatures of outgoing webhooks, as Stripe signs them: the timestamp and the raw body.

``X-Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` with the
subscription's secret. Unlike the shop's requests the URL is not signed: a receiver's proxies
may rewrite it. A receiver checks the HMAC and that ``t`` is recent (5 minutes), which makes a
captured delivery worthless later; the event ``id`` lets it drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Loyalty-Signature"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance_s: int = 300
) -> bool:
    """What a receiver does (the test receiver and docs/webhooks.md use the same steps);
    ``now`` is the receiver's clock in unix seconds (default: the system's)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        return False
    expected = signature(secret, body, t).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
