"""Stripe-style request signatures for the shop backend, bound to method and path.

Header: ``X-Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(message)>`` with the
message ``"<t>.<METHOD>.<path>.<raw body>"``, where ``path`` is the request target as sent,
query string included. Binding the method and path means a captured signature is worthless on
any other order or customer: replaying an order PUT onto ``/v1/shop/orders/<other id>`` fails.
Several ``v1`` values may be sent (secret rotation); one valid is enough. A timestamp more than
the tolerance away from now is refused, so a captured request cannot be replayed later either.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from loyalty.errors import Unauthorized

HEADER = "X-Loyalty-Signature"
_MAX_SIGNATURES = 8


def _mac(secret: str, timestamp: int, method: str, path: str, body: bytes) -> str:
    prefix = f"{timestamp}.{method.upper()}.{path}.".encode()
    return hmac.new(secret.encode(), prefix + body, hashlib.sha256).hexdigest()


def sign(secret: str, *, method: str, path: str, body: bytes, timestamp: int) -> str:
    """The header value for a request (used by clients, benches and tests)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, method, path, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value and len(signatures) < _MAX_SIGNATURES:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise Unauthorized("invalid_signature", f"malformed {HEADER} header")
    return timestamp, signatures


def verify(
    secrets: list[str],
    header: str | None,
    *,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    tolerance_s: int = 300,
) -> None:
    """Raise :class:`Unauthorized` unless ``header`` signs this request recently.

    ``secrets`` are the shop secrets currently accepted (the new one first during a rotation).
    """
    if not header:
        raise Unauthorized("missing_signature", f"the {HEADER} header is required")
    timestamp, signatures = _parse(header)
    if abs(now.timestamp() - timestamp) > tolerance_s:
        raise Unauthorized("stale_signature", "the signature timestamp is too old or in the future")
    for secret in secrets:
        expected = _mac(secret, timestamp, method, path, body)
        if any(hmac.compare_digest(expected.encode(), s.encode()) for s in signatures):
            return
    raise Unauthorized(
        "invalid_signature", "the signature does not match this method, path and body"
    )


def request_target(raw_path: bytes, query_string: bytes) -> str:
    """The path as the client sent it, with its query string: what the signature covers."""
    path = raw_path.decode("latin-1")
    return f"{path}?{query_string.decode('latin-1')}" if query_string else path
