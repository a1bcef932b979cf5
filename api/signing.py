"""Stripe-style request signatures for the shop backend.

Header: ``X-Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<raw body>")>``.
Several ``v1`` values may be sent (secret rotation); one valid is enough. A timestamp more than
the tolerance away from now is refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from loyalty.errors import Unauthorized

HEADER = "X-Loyalty-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp`` (used by clients and tests)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise Unauthorized("invalid_signature", f"malformed {HEADER} header")
    return timestamp, signatures


def verify(
    secret: str, header: str | None, body: bytes, *, now: datetime, tolerance_s: int = 300
) -> None:
    """Raise :class:`Unauthorized` unless ``header`` signs ``body`` recently with ``secret``."""
    if not header:
        raise Unauthorized("missing_signature", f"the {HEADER} header is required")
    timestamp, signatures = _parse(header)
    if abs(now.timestamp() - timestamp) > tolerance_s:
        raise Unauthorized("stale_signature", "the signature timestamp is too old or in the future")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    if not any(hmac.compare_digest(expected.hexdigest(), s) for s in signatures):
        raise Unauthorized("invalid_signature", "the signature does not match the body")
