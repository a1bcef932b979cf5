"""FcmSender: real firebase-admin against the loopback FCM, every answer classified."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from loyalty.fakes import Behaviour, FakeFcm
from loyalty.fakes.keys import make_service_account
from push.content import DeliveryResult
from push.fcm import FcmSender
from push.payloads import fcm_wire
from tests.push.factories import (
    DEEP_LINK,
    HANG_TIMEOUT_S,
    closed_port,
    make_fcm_sender,
    oversized,
    push,
)


async def send_one(sender: FcmSender, token: str) -> DeliveryResult:
    [result] = await sender.send([push(token)])
    return result


async def test_sent_message_reaches_fcm_with_deep_link(fcm: FakeFcm, fcm_sender: FcmSender) -> None:
    msg = push("tok-ok", data={"coupon_code": "ABC"}, badge=1)

    [result] = await fcm_sender.send([msg])

    assert result.outcome == "sent"
    assert result.key == "tok-ok"
    assert result.provider_id is not None
    assert result.provider_id.startswith(f"projects/{fcm.project_id}/messages/")
    [received] = fcm.messages
    assert received == {**fcm_wire(msg), "token": "tok-ok"}
    assert received["data"]["deep_link"] == DEEP_LINK
    assert received["android"]["notification"]["click_action"] == DEEP_LINK
    assert received["apns"]["payload"]["deep_link"] == DEEP_LINK


@pytest.mark.parametrize(
    ("behaviour", "outcome", "reason"),
    [
        ("unregistered", "pruned", "unregistered"),
        ("bad_token", "pruned", "invalid_token"),
        ("bad_request", "failed", "invalid_argument: Invalid value at 'message.data'"),
        ("server_error", "retry", "internal"),
        ("unavailable", "retry", "unavailable"),
    ],
)
async def test_provider_answers_are_classified(
    fcm: FakeFcm, fcm_sender: FcmSender, behaviour: Behaviour, outcome: str, reason: str
) -> None:
    fcm.behave("tok", behaviour)
    result = await send_one(fcm_sender, "tok")
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.retry_after_s is None


async def test_quota_exceeded_is_retried_after_the_retry_after_header(
    fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    fcm.set_default("rate_limited", retry_after_s=7)
    result = await send_one(fcm_sender, "tok")
    assert (result.outcome, result.reason, result.retry_after_s) == ("retry", "quota_exceeded", 7.0)


async def test_a_hanging_fcm_is_retried_after_the_timeout(fcm: FakeFcm) -> None:
    fcm.behave("slow", "hang")
    sender = make_fcm_sender(fcm, timeout_s=HANG_TIMEOUT_S)
    try:
        started = time.perf_counter()
        slow, fine = await sender.send([push("slow"), push("fine")])
        elapsed = time.perf_counter() - started
    finally:
        await sender.close()
    assert (slow.outcome, slow.reason) == ("retry", "timeout")
    assert fine.outcome == "sent"
    assert elapsed < HANG_TIMEOUT_S + 2


async def test_oversized_payload_fails_without_reaching_fcm(
    fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    big, small = await fcm_sender.send([oversized("big"), push("small")])
    assert (big.outcome, big.reason) == ("failed", "payload_too_large")
    assert small.outcome == "sent"
    assert fcm.tokens() == ["small"]


async def test_results_keep_the_batch_order(fcm: FakeFcm, fcm_sender: FcmSender) -> None:
    fcm.behave("t1", "unregistered")
    fcm.behave("t3", "server_error")
    batch = [push("t0"), push("t1"), oversized("t2"), push("t3"), push("t4")]
    results = await fcm_sender.send(batch)
    assert [(r.key, r.outcome) for r in results] == [
        ("t0", "sent"),
        ("t1", "pruned"),
        ("t2", "failed"),
        ("t3", "retry"),
        ("t4", "sent"),
    ]


async def test_a_500_message_batch_is_quick(fcm: FakeFcm, fcm_sender: FcmSender) -> None:
    batch = [push(f"tok-{n:03d}") for n in range(500)]
    started = time.perf_counter()
    results = await fcm_sender.send(batch)
    elapsed = time.perf_counter() - started
    print(f"FCM: 500 messages in {elapsed:.3f}s")
    assert {r.outcome for r in results} == {"sent"}
    assert sorted(fcm.tokens()) == [m.token for m in batch]
    assert elapsed < 10  # about 0.2 s on an idle 2-core machine


async def test_the_access_token_is_fetched_once_and_reused(
    fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    await fcm_sender.send([push("a")])
    issued = fcm.token_count
    await fcm_sender.send([push("b")])
    await fcm_sender.send([push("c")])
    assert issued >= 1
    assert fcm.token_count == issued


async def test_a_refused_access_token_is_retried_then_replaced(
    fcm: FakeFcm, fcm_sender: FcmSender
) -> None:
    await fcm_sender.send([push("warm")])
    fcm.revoke_tokens()

    refused = await send_one(fcm_sender, "a")
    again = await send_one(fcm_sender, "a")

    assert (refused.outcome, refused.reason) == ("retry", "fcm_auth_error")
    assert again.outcome == "sent"


async def test_an_unreachable_fcm_is_retried(fcm: FakeFcm) -> None:
    assert fcm.service_account is not None
    sender = FcmSender(fcm.service_account, endpoint=f"http://127.0.0.1:{closed_port()}")
    try:
        result = await send_one(sender, "a")  # the token still comes from the fake
    finally:
        await sender.close()
    assert result.outcome == "retry"
    assert result.reason == "unavailable"


async def test_no_access_token_retries_the_batch(fcm: FakeFcm, tmp_path: Path) -> None:
    credentials = tmp_path / "sa.json"
    make_service_account(
        credentials, project_id=fcm.project_id, token_uri=f"http://127.0.0.1:{closed_port()}/token"
    )
    sender = FcmSender(credentials, endpoint=fcm.url, timeout_s=2)
    try:
        results = await sender.send([push("a"), push("b")])
    finally:
        await sender.close()
    assert {(r.outcome, r.reason, r.retry_after_s) for r in results} == {
        ("retry", "fcm_auth_unavailable", 60.0)
    }
    assert fcm.tokens() == []


async def test_a_404_that_is_not_from_fcm_does_not_prune(fcm: FakeFcm) -> None:
    """A wrong LOYALTY_FCM_ENDPOINT answers 404 pages: tokens must survive it."""
    assert fcm.service_account is not None
    sender = FcmSender(fcm.service_account, endpoint=f"{fcm.url}/not-fcm")
    try:
        result = await send_one(sender, "a")
    finally:
        await sender.close()
    assert (result.outcome, result.reason) == ("retry", "http_404_not_from_fcm")


async def test_senders_are_independent_named_apps(fcm: FakeFcm) -> None:
    first, second = make_fcm_sender(fcm), make_fcm_sender(fcm)
    try:
        assert (await send_one(first, "a")).outcome == "sent"
        assert (await send_one(second, "b")).outcome == "sent"
    finally:
        await first.close()
    assert (await send_one(second, "c")).outcome == "sent"
    await second.close()


@pytest.mark.parametrize(
    ("behaviour", "outcome", "reason"),
    [
        ("ok", "sent", ""),
        ("unregistered", "pruned", "unregistered"),
        ("server_error", "retry", "internal"),
        ("rate_limited", "retry", "quota_exceeded"),
    ],
)
async def test_the_library_httpx_client_classifies_the_same(
    fcm: FakeFcm, behaviour: Behaviour, outcome: str, reason: str
) -> None:
    """The fallback transport (``lean_http=False``) keeps firebase-admin's own client."""
    fcm.set_default(behaviour)
    sender = make_fcm_sender(fcm, lean_http=False)
    try:
        result = await send_one(sender, "tok")
    finally:
        await sender.close()
    assert (result.outcome, result.reason) == (outcome, reason)
