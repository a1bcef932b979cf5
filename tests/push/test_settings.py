"""senders_from_env: configured channels get real senders, missing ones skip."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loyalty.fakes import FakeApns, FakeFcm, FakeSmtp
from loyalty.fakes.__main__ import fake_env
from push.apns import ApnsSender
from push.fcm import FcmSender
from push.settings import DeliveryConfigError, SkippingSender, senders_from_env
from push.smtp import SmtpSender
from tests.push.factories import email, push

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(fcm: FakeFcm, apns: FakeApns, smtp: FakeSmtp) -> dict[str, str]:
    assert fcm.service_account is not None
    return fake_env(fcm, apns, smtp, fcm.service_account)


async def test_nothing_configured_skips_every_channel() -> None:
    senders = senders_from_env({})
    pushes = await senders.send_push([push("a"), push("b", provider="apns")])
    emails = await senders.send_email([email("c@example.com")])
    await senders.close()
    assert [(r.key, r.outcome, r.reason) for r in pushes + emails] == [
        ("a", "skipped", "fcm_not_configured"),
        ("b", "skipped", "apns_not_configured"),
        ("c@example.com", "skipped", "smtp_not_configured"),
    ]


async def test_configured_channels_get_real_senders_and_mixed_batches_keep_order(
    env: dict[str, str], fcm: FakeFcm, apns: FakeApns, smtp: FakeSmtp
) -> None:
    senders = senders_from_env(env)
    try:
        assert isinstance(senders.fcm, FcmSender)
        assert isinstance(senders.apns, ApnsSender)
        assert isinstance(senders.email, SmtpSender)
        batch = [push("f1"), push("a1", provider="apns"), push("f2"),
                 push("a2", provider="apns")]
        results = await senders.send_push(batch)
        emails = await senders.send_email([email("c@example.com")])
    finally:
        await senders.close()
    assert [(r.key, r.outcome) for r in results] == [(m.token, "sent") for m in batch]
    assert sorted(fcm.tokens()) == ["f1", "f2"]
    assert sorted(apns.tokens()) == ["a1", "a2"]
    assert emails[0].outcome == "sent"
    assert len(smtp.messages) == 1


async def test_only_email_configured(env: dict[str, str]) -> None:
    email_only = {k: v for k, v in env.items() if k.startswith("LOYALTY_SMTP")}
    senders = senders_from_env(email_only)
    assert isinstance(senders.fcm, SkippingSender)
    assert isinstance(senders.apns, SkippingSender)
    assert isinstance(senders.email, SmtpSender)
    await senders.close()


@pytest.mark.parametrize("missing", ["LOYALTY_APNS_KEY_ID", "LOYALTY_APNS_TOPIC"])
def test_half_configured_apns_is_an_error(env: dict[str, str], missing: str) -> None:
    partial = {k: v for k, v in env.items() if k != missing and "FCM" not in k}
    with pytest.raises(DeliveryConfigError, match=missing):
        senders_from_env(partial)


def test_half_configured_smtp_is_an_error() -> None:
    with pytest.raises(DeliveryConfigError, match="LOYALTY_SMTP_SENDER"):
        senders_from_env({"LOYALTY_SMTP_HOST": "mail.example.com"})


def test_smtp_port_defaults_follow_the_tls_mode() -> None:
    base = {"LOYALTY_SMTP_HOST": "mail.example.com", "LOYALTY_SMTP_SENDER": "a@example.com"}
    ports = {tls: senders_from_env({**base, "LOYALTY_SMTP_TLS": tls}).email
             for tls in ("tls", "starttls", "none")}
    assert {tls: s.port for tls, s in ports.items()} == {  # type: ignore[attr-defined]
        "tls": 465, "starttls": 587, "none": 25}


@pytest.fixture
def fakes_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "loyalty.fakes", "--dir", str(tmp_path)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    with process.stdin, process.stdout:
        yield process, json.loads(process.stdout.readline())
    process.wait(timeout=30)


async def test_fakes_run_in_their_own_process(
    fakes_process: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    """``python -m loyalty.fakes`` (the benchmark's and a local demo's) prints a usable env."""
    process, env = fakes_process
    senders = senders_from_env(env)
    try:
        results = await senders.send_push([push("f"), push("a", provider="apns")])
        emails = await senders.send_email([email("c@example.com")])
    finally:
        await senders.close()
    assert [r.outcome for r in results + emails] == ["sent", "sent", "sent"]
    assert process.poll() is None
