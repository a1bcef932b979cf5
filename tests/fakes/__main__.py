"""Run the loopback fakes in their own process: ``python -m tests.fakes [--dir D] [--no-record]``.

Prints one JSON line with the ``LOYALTY_*`` delivery variables that aim the real senders at
them, then serves until stdin closes or the process is terminated. The push benchmark uses
it so the fakes' CPU is not counted in the sender's process; ``loyalty run`` can use it for
a local demo.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from tests.fakes.apns import FakeApns
from tests.fakes.fcm import FakeFcm
from tests.fakes.smtp import FakeSmtp


def fake_env(fcm: FakeFcm, apns: FakeApns, smtp: FakeSmtp, credentials: Path) -> dict[str, str]:
    """The delivery environment that points every sender at these fakes."""
    return {
        "LOYALTY_FCM_CREDENTIALS": str(credentials),
        "LOYALTY_FCM_ENDPOINT": fcm.url,
        "LOYALTY_APNS_KEY_FILE": str(apns.key.p8_file),
        "LOYALTY_APNS_KEY_ID": apns.key.key_id,
        "LOYALTY_APNS_TEAM_ID": apns.key.team_id,
        "LOYALTY_APNS_TOPIC": apns.topic,
        "LOYALTY_APNS_ENDPOINT": apns.endpoint,
        "LOYALTY_APNS_CA_FILE": str(apns.tls.ca_file),
        "LOYALTY_SMTP_HOST": smtp.host,
        "LOYALTY_SMTP_PORT": str(smtp.port),
        "LOYALTY_SMTP_SENDER": "loyalty@example.com",
        "LOYALTY_SMTP_TLS": "none",
    }


async def serve(folder: Path, record: bool) -> None:
    async with (
        FakeFcm(record=record) as fcm,
        FakeApns(folder, record=record) as apns,
        FakeSmtp() as smtp,
    ):
        credentials = fcm.write_service_account(folder / "fcm-service-account.json")
        print(json.dumps(fake_env(fcm, apns, smtp, credentials)), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        print(
            json.dumps(
                {"fcm": fcm.send_count, "apns": apns.send_count, "smtp": len(smtp.messages)}
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="where keys are written")
    parser.add_argument("--no-record", action="store_true", help="count, do not keep messages")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="loyalty-fakes-"))
    asyncio.run(serve(folder, record=not args.no_record))


if __name__ == "__main__":
    main()
