"""Every setting of the engine, read once from the environment.

Nothing else in the code base reads ``os.environ``: build a :class:`Settings` with
:func:`load_settings` (or by hand in tests) and pass it down.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEV_SHOP_SECRET = "dev-shop-secret-change-me"
DEV_JWT_SECRET = "dev-jwt-secret-change-me-please-32b"
DEV_ADMIN_EMAIL = "admin@example.com"
DEV_ADMIN_PASSWORD = "admin-password"
DEV_SESSION_SECRET = "dev-session-secret-change-me-32-bytes!"


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe for production."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Typed configuration. Field names mirror the ``LOYALTY_*`` variables."""

    env: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".data")
    shop_secret: str = DEV_SHOP_SECRET
    shop_secret_previous: str | None = None
    signature_tolerance_s: int = 300
    jwt_secret: str | None = DEV_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    admin_email: str = DEV_ADMIN_EMAIL
    admin_password: str = DEV_ADMIN_PASSWORD
    session_secret: str = DEV_SESSION_SECRET
    deep_link: str = "shop://profile/discounts"
    db_pool_size: int = 10
    db_stats: bool = False
    max_body_bytes: int = 1_048_576
    metrics_token: str | None = None
    widget_origins: tuple[str, ...] = ()
    delivery_env: Mapping[str, str] = field(default_factory=dict)
    webhooks_allow_private: bool = False

    @property
    def shop_secrets(self) -> list[str]:
        """Secrets a shop signature may use: the current one, then the one being rotated out."""
        return [
            self.shop_secret,
            *([self.shop_secret_previous] if self.shop_secret_previous else []),
        ]

    @property
    def production(self) -> bool:
        return self.env == "production"

    def with_urls(self, database_url: str, redis_url: str) -> Settings:
        return replace(self, database_url=database_url, redis_url=redis_url)

    def defaults_in_use(self) -> list[str]:
        """Names of secrets still at their development default."""
        found = []
        if self.shop_secret == DEV_SHOP_SECRET:
            found.append("LOYALTY_SHOP_SECRET")
        if self.jwt_public_key is None and self.jwt_secret == DEV_JWT_SECRET:
            found.append("LOYALTY_JWT_SECRET")
        if self.admin_password == DEV_ADMIN_PASSWORD:
            found.append("LOYALTY_ADMIN_PASSWORD")
        if self.session_secret == DEV_SESSION_SECRET:
            found.append("LOYALTY_SESSION_SECRET")
        return found

    def check_production(self) -> None:
        """Refuse to run in production with a secret anyone can read in this repo."""
        if self.production and (unsafe := self.defaults_in_use()):
            raise SettingsError(
                "refusing to start in production with default secrets: " + ", ".join(unsafe)
            )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _read_key(value: str | None) -> str | None:
    """A public key is given inline (PEM) or as a path to a PEM file."""
    if not value:
        return None
    if "-----BEGIN" in value:
        return value
    return Path(value).read_text()


ORIGIN = re.compile(r"https?://([a-z0-9.\-]+|\[[0-9a-f:]+\])(:[0-9]{1,5})?")


def _origins(raw: str | None) -> tuple[str, ...]:
    """``LOYALTY_WIDGET_ORIGINS``: comma-separated ``scheme://host[:port]``, never ``*``."""
    found = []
    for part in (raw or "").split(","):
        origin = part.strip().rstrip("/").lower()
        if not origin:
            continue
        if not ORIGIN.fullmatch(origin):
            raise SettingsError(
                f"LOYALTY_WIDGET_ORIGINS: {part.strip()!r} is not an origin like https://shop.example"
            )
        found.append(origin)
    return tuple(found)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    delivery = {
        k: v
        for k, v in env.items()
        if k.startswith(
            (
                "LOYALTY_FCM",
                "LOYALTY_APNS",
                "LOYALTY_SMTP",
                "LOYALTY_TWILIO",
                "LOYALTY_DELIVERY",
                "LOYALTY_FAKE_",
            )
        )
    }
    return Settings(
        env=env.get("LOYALTY_ENV", "development"),
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        host=env.get("LOYALTY_HOST", "127.0.0.1"),
        port=_int(env, "LOYALTY_PORT", 8000),
        data_dir=Path(env.get("LOYALTY_DATA_DIR", ".data")),
        shop_secret=env.get("LOYALTY_SHOP_SECRET", DEV_SHOP_SECRET),
        shop_secret_previous=env.get("LOYALTY_SHOP_SECRET_PREVIOUS") or None,
        jwt_secret=env.get("LOYALTY_JWT_SECRET", DEV_JWT_SECRET),
        jwt_public_key=_read_key(env.get("LOYALTY_JWT_PUBLIC_KEY")),
        jwt_issuer=env.get("LOYALTY_JWT_ISSUER") or None,
        jwt_audience=env.get("LOYALTY_JWT_AUDIENCE") or None,
        admin_email=env.get("LOYALTY_ADMIN_EMAIL", DEV_ADMIN_EMAIL),
        admin_password=env.get("LOYALTY_ADMIN_PASSWORD", DEV_ADMIN_PASSWORD),
        session_secret=env.get("LOYALTY_SESSION_SECRET", DEV_SESSION_SECRET),
        deep_link=env.get("LOYALTY_DEEP_LINK", "shop://profile/discounts"),
        db_pool_size=_int(env, "LOYALTY_DB_POOL_SIZE", 10),
        metrics_token=env.get("LOYALTY_METRICS_TOKEN") or None,
        widget_origins=_origins(env.get("LOYALTY_WIDGET_ORIGINS")),
        db_stats=env.get("LOYALTY_DB_STATS", "") not in ("", "0"),
        delivery_env=delivery,
        webhooks_allow_private=env.get("LOYALTY_WEBHOOKS_ALLOW_PRIVATE", "") == "1",
    )
