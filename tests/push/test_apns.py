"""ApnsSender: real aioapns over TLS + HTTP/2 against the loopback APNs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from loyalty.fakes import Behaviour, FakeApns
from loyalty.fakes.keys import make_apns_key, make_tls_files
from push.apns import ApnsSender
from push.content import DeliveryResult
from tests.push.factories import DEEP_LINK, HANG_TIMEOUT_S, make_apns_sender, oversized, push


async def send_one(sender: ApnsSender, token: str) -> DeliveryResult:
    [result] = await sender.send([push(token, provider="apns")])
    return result


async def test_sent_notification_reaches_apns_with_deep_link(
    apns: FakeApns, apns_sender: ApnsSender
) -> None:
    msg = push(
        "dev-ok", provider="apns", data={"coupon_code": "ABC"}, badge=4, collapse_key="coupon"
    )

    [result] = await apns_sender.send([msg])

    assert result.outcome == "sent"
    [received] = apns.requests
    assert result.provider_id == received.headers["apns-id"]
    assert received.token == "dev-ok"
    assert received.payload == {
        "coupon_code": "ABC",
        "aps": {"alert": {"title": msg.title, "body": msg.body}, "sound": "default", "badge": 4},
        "deep_link": DEEP_LINK,
    }
    assert received.headers["apns-topic"] == apns.topic
    assert received.headers["apns-push-type"] == "alert"
    assert received.headers["apns-priority"] == "10"
    assert received.headers["apns-collapse-id"] == "coupon"


@pytest.mark.parametrize(
    ("behaviour", "outcome", "reason"),
    [
        ("unregistered", "pruned", "Unregistered"),
        ("bad_token", "pruned", "BadDeviceToken"),
        ("wrong_topic", "pruned", "DeviceTokenNotForTopic"),
        ("bad_request", "failed", "BadTopic"),
        ("server_error", "retry", "InternalServerError"),
        ("unavailable", "retry", "ServiceUnavailable"),
    ],
)
async def test_provider_answers_are_classified(
    apns: FakeApns, apns_sender: ApnsSender, behaviour: Behaviour, outcome: str, reason: str
) -> None:
    apns.behave("dev", behaviour)
    result = await send_one(apns_sender, "dev")
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.retry_after_s is None


async def test_too_many_requests_is_retried_later(apns: FakeApns) -> None:
    """aioapns does not expose response headers: the configured delay is used."""
    apns.set_default("rate_limited")
    sender = make_apns_sender(apns, default_retry_after_s=42.0)
    try:
        result = await send_one(sender, "dev")
    finally:
        await sender.close()
    assert (result.outcome, result.reason, result.retry_after_s) == (
        "retry",
        "TooManyRequests",
        42.0,
    )


async def test_a_hanging_apns_is_retried_and_the_connection_survives(apns: FakeApns) -> None:
    apns.behave("slow", "hang")
    sender = make_apns_sender(apns, timeout_s=HANG_TIMEOUT_S)
    try:
        started = time.perf_counter()
        slow, fine = await sender.send(
            [push("slow", provider="apns"), push("fine", provider="apns")]
        )
        elapsed = time.perf_counter() - started
        apns.behave("slow", "ok")
        later = await send_one(sender, "later")
    finally:
        await sender.close()
    assert (slow.outcome, slow.reason) == ("retry", "timeout")
    assert fine.outcome == "sent"
    assert later.outcome == "sent"
    assert elapsed < HANG_TIMEOUT_S + 2


async def test_oversized_payload_fails_without_reaching_apns(
    apns: FakeApns, apns_sender: ApnsSender
) -> None:
    big, small = await apns_sender.send(
        [oversized("big", provider="apns"), push("small", provider="apns")]
    )
    assert (big.outcome, big.reason) == ("failed", "payload_too_large")
    assert small.outcome == "sent"
    assert apns.tokens() == ["small"]


async def test_a_500_message_batch_is_quick(apns: FakeApns, apns_sender: ApnsSender) -> None:
    batch = [push(f"dev-{n:03d}", provider="apns") for n in range(500)]
    started = time.perf_counter()
    results = await apns_sender.send(batch)
    elapsed = time.perf_counter() - started
    print(f"APNs: 500 messages in {elapsed:.3f}s")
    assert [r.key for r in results] == [m.token for m in batch]
    assert {r.outcome for r in results} == {"sent"}
    assert sorted(apns.tokens()) == [m.token for m in batch]
    assert elapsed < 10  # about 0.3 s on an idle 2-core machine


async def test_a_provider_token_signed_by_another_key_is_refused(
    apns: FakeApns, tmp_path: Path
) -> None:
    stranger = make_apns_key(tmp_path, key_id=apns.key.key_id, team_id=apns.key.team_id)
    sender = make_apns_sender(apns, key_file=stranger.p8_file)
    try:
        result = await send_one(sender, "dev")
    finally:
        await sender.close()
    assert (result.outcome, result.reason) == ("retry", "InvalidProviderToken")
    assert apns.tokens() == []


async def test_a_server_certificate_from_an_untrusted_ca_is_refused(
    apns: FakeApns, tmp_path: Path
) -> None:
    other_ca = make_tls_files(tmp_path / "other").ca_file
    sender = make_apns_sender(apns, ca_file=other_ca, timeout_s=1.0)
    try:
        result = await send_one(sender, "dev")
    finally:
        await sender.close()
    assert result.outcome == "retry"
    assert apns.tokens() == []
