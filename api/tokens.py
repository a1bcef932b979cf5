"""Shopper tokens: JWTs issued by the shop, ``sub`` is the customer id.

HS256 with ``LOYALTY_JWT_SECRET``, or RS256/ES256 with ``LOYALTY_JWT_PUBLIC_KEY``; expiry is
required, issuer and audience are checked when configured.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from loyalty.errors import Unauthorized
from loyalty.settings import Settings

LEEWAY_S = 30


def issue(settings: Settings, customer_id: str, *, now: datetime, ttl: timedelta) -> str:
    """A shopper token signed with the shared secret (``loyalty token``, tests, demos)."""
    if not settings.jwt_secret:
        raise RuntimeError("LOYALTY_JWT_SECRET is not set: the shop issues tokens itself")
    claims: dict[str, object] = {"sub": customer_id, "iat": now, "exp": now + ttl}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def customer_id(settings: Settings, authorization: str | None, *, now: datetime) -> str:
    """The customer id a valid ``Authorization: Bearer`` header speaks for."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing_token", "an Authorization: Bearer token is required")
    token = authorization[7:].strip()
    if settings.jwt_public_key:
        key, algorithms = settings.jwt_public_key, ["RS256", "ES256"]
    else:
        key, algorithms = settings.jwt_secret or "", ["HS256"]
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={
                "require": ["exp", "sub"],
                "verify_iat": False,
                "verify_exp": False,
                "verify_aud": settings.jwt_audience is not None,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid_token", f"invalid token: {exc}") from exc
    # Expiry is checked against the injected clock, not pyjwt's wall clock.
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp + LEEWAY_S < now.timestamp():
        raise Unauthorized("token_expired", "the token has expired")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("invalid_token", "the token has no subject")
    return sub
