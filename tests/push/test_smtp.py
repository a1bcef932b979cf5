"""SmtpSender: real aiosmtplib against an aiosmtpd server on the loopback."""

from __future__ import annotations

import time

import pytest

from loyalty.fakes import Behaviour, FakeSmtp
from push.smtp import SmtpSender, parse_tls_mode
from tests.push.factories import HANG_TIMEOUT_S, closed_port, email

SENDER = "Shop <loyalty@shop.example>"


async def test_email_has_text_and_html_with_the_coupon_code(
    smtp: FakeSmtp, smtp_sender: SmtpSender
) -> None:
    [result] = await smtp_sender.send([email("ann@example.com", code="LOYAL-ABCD-42")])

    assert (result.key, result.outcome) == ("ann@example.com", "sent")
    [received] = smtp.messages
    assert received["To"] == "ann@example.com"
    assert received["From"] == SENDER
    assert received["Subject"] == "Your 10 % coupon"
    assert received["Message-ID"].endswith("@shop.example>")
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.get_body(("plain",)), received.get_body(("html",))
    assert text is not None and html is not None
    assert "LOYAL-ABCD-42" in text.get_content()
    assert "<strong>LOYAL-ABCD-42</strong>" in html.get_content()
    assert smtp.envelopes == [("loyalty@shop.example", ["ann@example.com"])]


async def test_a_batch_uses_one_connection(smtp: FakeSmtp, smtp_sender: SmtpSender) -> None:
    results = await smtp_sender.send([email(f"m{n}@example.com") for n in range(5)])
    assert [r.outcome for r in results] == ["sent"] * 5
    assert smtp.connections == 1
    assert len(smtp.messages) == 5


@pytest.mark.parametrize(
    ("behaviour", "outcome", "code"),
    [
        ("unregistered", "failed", "550"),
        ("bad_request", "failed", "553"),
        ("rate_limited", "retry", "450"),
        ("server_error", "retry", "451"),
    ],
)
async def test_recipient_refusals_are_classified_and_the_batch_goes_on(
    smtp: FakeSmtp, smtp_sender: SmtpSender, behaviour: Behaviour, outcome: str, code: str
) -> None:
    smtp.behave("bad@example.com", behaviour)
    refused, after = await smtp_sender.send([email("bad@example.com"), email("ok@example.com")])
    assert refused.outcome == outcome
    assert refused.reason.startswith(f"smtp_{code}")
    assert after.outcome == "sent"
    assert [m["To"] for m in smtp.messages] == ["ok@example.com"]


async def test_a_hanging_server_retries_the_rest_of_the_batch(smtp: FakeSmtp) -> None:
    smtp.behave("slow@example.com", "hang")
    sender = SmtpSender(smtp.host, smtp.port, sender=SENDER, tls="none", timeout_s=HANG_TIMEOUT_S)
    started = time.perf_counter()
    first, slow, rest = await sender.send(
        [email("a@example.com"), email("slow@example.com"), email("b@example.com")]
    )
    assert first.outcome == "sent"
    assert (slow.outcome, slow.reason) == ("retry", "timeout")
    assert (rest.outcome, rest.reason) == ("retry", "timeout")
    assert time.perf_counter() - started < HANG_TIMEOUT_S + 2


async def test_an_unreachable_server_retries_everything() -> None:
    sender = SmtpSender("127.0.0.1", closed_port(), sender=SENDER, tls="none", timeout_s=2)
    results = await sender.send([email("a@example.com"), email("b@example.com")])
    assert [r.outcome for r in results] == ["retry", "retry"]
    assert results[0].reason.startswith("smtp_connect")


async def test_login_with_the_configured_credentials() -> None:
    async with FakeSmtp(username="mailer", password="s3cret") as server:
        good = SmtpSender(
            server.host,
            server.port,
            sender=SENDER,
            username="mailer",
            password="s3cret",
            tls="none",
            timeout_s=5,
        )
        bad = SmtpSender(
            server.host,
            server.port,
            sender=SENDER,
            username="mailer",
            password="wrong",
            tls="none",
            timeout_s=5,
        )
        [accepted] = await good.send([email("a@example.com")])
        [refused] = await bad.send([email("b@example.com")])
    assert accepted.outcome == "sent"
    assert refused.outcome == "retry"
    assert "535" in refused.reason


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, "auto"),
        ("", "auto"),
        ("starttls", "starttls"),
        ("TRUE", "starttls"),
        ("tls", "tls"),
        ("ssl", "tls"),
        ("none", "none"),
        ("false", "none"),
    ],
)
def test_tls_setting_values(value: str | None, mode: str) -> None:
    assert parse_tls_mode(value) == mode


def test_unknown_tls_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="LOYALTY_SMTP_TLS"):
        parse_tls_mode("maybe")
