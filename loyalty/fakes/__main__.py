"""Run the loopback fakes in their own process: ``python -m loyalty.fakes [--dir D] [--no-record]``.

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

from loyalty.fakes.apns import FakeApns
from loyalty.fakes.fcm import FakeFcm
from loyalty.fakes.smtp import FakeSmtp
from loyalty.fakes.twilio import FakeTwilio


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


async def serve(folder: Path, record: bool, port_base: int = 0) -> None:
    """``port_base`` N: FCM on N, APNs N+1, SMTP N+2, Twilio N+3 (0: random free ports)."""
    port = (lambda n: port_base + n) if port_base else (lambda n: 0)
    async with (
        FakeFcm(record=record, port=port(0)) as fcm,
        FakeApns(folder, record=record, port=port(1)) as apns,
        FakeSmtp(port=port(2)) as smtp,
        FakeTwilio(port=port(3)) as twilio,
    ):
        credentials = fcm.write_service_account(folder / "fcm-service-account.json")
        print(json.dumps({**fake_env(fcm, apns, smtp, credentials), **twilio.env()}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        print(json.dumps({"fcm": fcm.send_count, "apns": apns.send_count,
                          "smtp": len(smtp.messages), "twilio": twilio.send_count}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m loyalty.fakes", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="where keys are written")
    parser.add_argument("--no-record", action="store_true", help="count, do not keep messages")
    parser.add_argument("--port-base", type=int, default=0,
                        help="listen on this port and the next three (default: random ports)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="loyalty-fakes-"))
    asyncio.run(serve(folder, record=not args.no_record, port_base=args.port_base))


if __name__ == "__main__":
    main()
