"""Plain typed helpers that make test messages; keyword-only so tests read as specs."""

from __future__ import annotations

import socket
from pathlib import Path

from loyalty.fakes import FakeApns, FakeFcm
from push.apns import ApnsSender
from push.content import EmailMessage, FcmTarget, Platform, Provider, PushMessage
from push.fcm import FcmSender

DEEP_LINK = "shop://profile/discounts"
TIMEOUT_S = 5.0  # generous: the machine may be shared; "hang" tests use HANG_TIMEOUT_S
HANG_TIMEOUT_S = 0.3


def push(
    token: str,
    *,
    provider: Provider = "fcm",
    platform: Platform | None = None,
    title: str = "A reward is waiting",
    body: str = "You have 5000 points: your coupon is in the app.",
    deep_link: str = DEEP_LINK,
    data: dict[str, str] | None = None,
    collapse_key: str | None = None,
    badge: int | None = None,
    fcm_target: FcmTarget = "token",
) -> PushMessage:
    return PushMessage(
        token=token,
        platform=platform or ("ios" if provider == "apns" else "android"),
        provider=provider,
        title=title,
        body=body,
        deep_link=deep_link,
        data=data or {},
        collapse_key=collapse_key,
        badge=badge,
        fcm_target=fcm_target,
    )


def oversized(token: str, *, provider: Provider = "fcm") -> PushMessage:
    """A message whose data alone is over the 4 KiB provider limit."""
    return push(token, provider=provider, data={"blob": "x" * 4200})


def email(
    to: str,
    *,
    code: str = "LOYAL-7Q2X-91",
    subject: str = "Your 10 % coupon",
) -> EmailMessage:
    return EmailMessage(
        to=to,
        subject=subject,
        text=f"Hello! Your coupon code is {code}. Valid 30 days.",
        html=f"<p>Hello! Your coupon code is <strong>{code}</strong>. Valid 30 days.</p>",
    )


def make_fcm_sender(
    fake: FakeFcm, *, timeout_s: float = TIMEOUT_S, lean_http: bool = True, http_retries: int = 0
) -> FcmSender:
    assert fake.service_account is not None, "write_service_account first"
    return FcmSender(
        fake.service_account,
        endpoint=fake.url,
        timeout_s=timeout_s,
        lean_http=lean_http,
        http_retries=http_retries,
    )


def make_apns_sender(
    fake: FakeApns,
    *,
    timeout_s: float = TIMEOUT_S,
    key_file: Path | None = None,
    ca_file: Path | None = None,
    default_retry_after_s: float = 60.0,
) -> ApnsSender:
    return ApnsSender(
        key_file or fake.key.p8_file,
        fake.key.key_id,
        fake.key.team_id,
        fake.topic,
        endpoint=fake.endpoint,
        ca_file=ca_file or fake.tls.ca_file,
        timeout_s=timeout_s,
        default_retry_after_s=default_retry_after_s,
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
