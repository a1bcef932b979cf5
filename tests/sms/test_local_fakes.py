"""``LOYALTY_FAKE_PROVIDERS=1 loyalty run``: the installed fakes, Twilio included."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty.notify import localfakes
from push.content import SmsMessage
from push.settings import senders_from_env


async def test_local_fakes_take_texts_and_log_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fakes = await localfakes.start(tmp_path)
    try:
        assert fakes.env["LOYALTY_TWILIO_ENDPOINT"] == fakes.twilio.url
        senders = senders_from_env(fakes.env)
        try:
            [result] = await senders.sms.send([SmsMessage(to="+4791234567", body="Hei!")])
        finally:
            await senders.close()
        assert result.outcome == "sent"
        with caplog.at_level(logging.INFO, logger="loyalty.fakes"):
            fakes.report()
        assert "[fake Twilio] to +4791234567 (201): 'Hei!'" in caplog.text
    finally:
        await fakes.stop()


def test_the_fakes_import_nothing_from_the_test_suite() -> None:
    code = (
        "import sys, loyalty.notify.localfakes, loyalty.fakes; "
        "assert not [m for m in sys.modules if m == 'tests' or m.startswith('tests.')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd="/")
