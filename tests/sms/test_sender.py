"""TwilioSender: the real ``twilio`` client against the loopback Messages API."""

from __future__ import annotations

import base64

import httpx

from loyalty.fakes.twilio import FakeTwilio
from push.content import SmsMessage
from push.twilio import TwilioSender

NUMBER = "+4791234567"


def sender(fake: FakeTwilio, *, token: str | None = None) -> TwilioSender:
    return TwilioSender(
        fake.account_sid, token or fake.auth_token, fake.from_number, endpoint=fake.url
    )


async def test_a_text_is_sent_with_basic_auth_and_form_fields(twilio: FakeTwilio) -> None:
    s = sender(twilio)
    try:
        [result] = await s.send([SmsMessage(to=NUMBER, body="Hei Kari, velkommen!")])
    finally:
        await s.close()
    assert result.outcome == "sent" and result.provider_id and result.provider_id.startswith("SM")
    [sms] = twilio.messages
    assert (sms.to, sms.from_, sms.body) == (NUMBER, twilio.from_number, "Hei Kari, velkommen!")


async def test_the_fake_speaks_twilios_api() -> None:
    """What the client relies on, checked without it: path, basic auth, form body, 201."""
    async with FakeTwilio() as fake:
        auth = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        url = f"{fake.url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
        form = {"To": NUMBER, "From": fake.from_number, "Body": "x"}
        async with httpx.AsyncClient() as client:
            ok = await client.post(url, data=form, headers={"authorization": f"Basic {auth}"})
            anonymous = await client.post(url, data=form)
    assert ok.status_code == 201 and ok.json()["status"] == "queued"
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 20003


async def test_answers_are_classified(twilio: FakeTwilio) -> None:
    numbers = {
        "+4791000001": "rate_limited",
        "+4791000002": "server_error",
        "+4791000003": "bad_token",
        "+4791000004": "unregistered",
        "+4791000005": "wrong_topic",
        "+4791000006": "ok",
    }
    for number, behaviour in numbers.items():
        twilio.behave(number, behaviour)  # type: ignore[arg-type]
    twilio.table.retry_after_s = 7
    s = sender(twilio)
    try:
        results = await s.send([SmsMessage(to=n, body="x") for n in numbers])
    finally:
        await s.close()
    got = {r.key: (r.outcome, r.retry_after_s) for r in results}
    assert got == {
        "+4791000001": ("retry", 7.0),
        "+4791000002": ("retry", None),
        "+4791000003": ("pruned", None),
        "+4791000004": ("pruned", None),
        "+4791000005": ("pruned", None),
        "+4791000006": ("sent", None),
    }
    reasons = {r.key: r.reason for r in results}
    assert reasons["+4791000003"].startswith("invalid_number (twilio_21211")
    assert reasons["+4791000004"].startswith("unsubscribed (twilio_21610")


async def test_bad_numbers_never_reach_twilio(twilio: FakeTwilio) -> None:
    s = sender(twilio)
    try:
        results = await s.send([SmsMessage(to=n, body="x") for n in ("91234567", "+0123", "")])
    finally:
        await s.close()
    assert {r.outcome for r in results} == {"failed"}
    assert twilio.send_count == 0


async def test_wrong_credentials_are_retried_not_failed(twilio: FakeTwilio) -> None:
    s = sender(twilio, token="not-the-token")
    try:
        [result] = await s.send([SmsMessage(to=NUMBER, body="x")])
    finally:
        await s.close()
    assert result.outcome == "retry" and "20003" in result.reason


async def test_a_dead_endpoint_is_a_retry() -> None:
    s = TwilioSender("AC" + "1" * 32, "t", "+4759440000", endpoint="http://127.0.0.1:9")
    try:
        [result] = await s.send([SmsMessage(to=NUMBER, body="x")])
    finally:
        await s.close()
    assert result.outcome == "retry"
