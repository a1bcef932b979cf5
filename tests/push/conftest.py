"""Fixtures for the delivery tests: the loopback fakes (one per session, reset per test)
and real senders aimed at them. No database, no Redis, no network beyond 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from push.apns import ApnsSender
from push.fcm import FcmSender
from push.smtp import SmtpSender
from tests.fakes import FakeApns, FakeFcm, FakeSmtp
from tests.push.factories import TIMEOUT_S, make_apns_sender, make_fcm_sender


@pytest.fixture(scope="session")
async def fcm_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FakeFcm]:
    async with FakeFcm() as fake:
        fake.write_service_account(tmp_path_factory.mktemp("fcm") / "service-account.json")
        yield fake


@pytest.fixture(scope="session")
async def apns_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FakeApns]:
    async with FakeApns(tmp_path_factory.mktemp("apns")) as fake:
        yield fake


@pytest.fixture(scope="session")
async def smtp_server() -> AsyncIterator[FakeSmtp]:
    async with FakeSmtp() as fake:
        yield fake


@pytest.fixture
def fcm(fcm_server: FakeFcm) -> FakeFcm:
    fcm_server.reset()
    return fcm_server


@pytest.fixture
def apns(apns_server: FakeApns) -> FakeApns:
    apns_server.reset()
    return apns_server


@pytest.fixture
def smtp(smtp_server: FakeSmtp) -> FakeSmtp:
    smtp_server.reset()
    return smtp_server


@pytest.fixture(scope="session")
async def fcm_sender(fcm_server: FakeFcm) -> AsyncIterator[FcmSender]:
    """Shared: building one parses an RSA key and fetches a token (slow on a busy machine)."""
    sender = make_fcm_sender(fcm_server)
    yield sender
    await sender.close()


@pytest.fixture(scope="session")
async def apns_sender(apns_server: FakeApns) -> AsyncIterator[ApnsSender]:
    sender = make_apns_sender(apns_server)
    yield sender
    await sender.close()


@pytest.fixture
def smtp_sender(smtp: FakeSmtp) -> SmtpSender:
    return SmtpSender(
        smtp.host, smtp.port, sender="Shop <loyalty@shop.example>", tls="none", timeout_s=TIMEOUT_S
    )
