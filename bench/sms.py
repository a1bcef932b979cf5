"""SMS benchmark: the Twilio sender (official client, thread pool) against the loopback fake.

    .venv/bin/python bench/sms.py [--texts N] [--batch 500] [--threads 8]

Batches of ``--batch`` texts go through ``TwilioSender.send`` as an outbox chunk would. The
fakes run in a subprocess (``python -m loyalty.fakes``) so their CPU is not counted here.
The last line is ``texts_per_s=<n> cpu_us_per_text=<n> rss_mb=<n>`` (wall clock; CPU of
this process, every thread). Twilio itself accepts about 100 messages/s per account by
default (more with a Messaging Service), so the sender only needs to beat that.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.push import start_fakes, stop_fakes  # noqa: E402
from push.content import SmsMessage  # noqa: E402
from push.twilio import TwilioSender  # noqa: E402


async def bench(
    args: argparse.Namespace, env: dict[str, str]
) -> tuple[float, float, dict[str, int]]:
    sender = TwilioSender(
        env["LOYALTY_TWILIO_ACCOUNT_SID"],
        env["LOYALTY_TWILIO_AUTH_TOKEN"],
        env["LOYALTY_TWILIO_FROM"],
        endpoint=env["LOYALTY_TWILIO_ENDPOINT"],
        threads=args.threads,
    )
    texts = [
        SmsMessage(to=f"+47{91000000 + n}", body=f"Velkommen i klubben! Du har {n % 997} poeng.")
        for n in range(args.texts)
    ]
    outcomes: collections.Counter[str] = collections.Counter()
    try:
        await sender.send(texts[: args.threads * 4])  # warm up: one client per thread
        cpu, started = time.process_time(), time.perf_counter()
        for start in range(0, len(texts), args.batch):
            for result in await sender.send(texts[start : start + args.batch]):
                outcomes[result.outcome] += 1
        return time.perf_counter() - started, time.process_time() - cpu, dict(outcomes)
    finally:
        await sender.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-") as folder:
        process, env = start_fakes(Path(folder))
        try:
            seconds, cpu, outcomes = asyncio.run(bench(args, env))
        finally:
            stop_fakes(process)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"texts={args.texts} batch={args.batch} threads={args.threads} seconds={seconds:.2f} "
        f"load={os.getloadavg()[0]:.1f}/{os.cpu_count()}cpu outcomes={outcomes}"
    )
    print(
        f"texts_per_s={args.texts / seconds:.0f} cpu_us_per_text={cpu / args.texts * 1e6:.0f} "
        f"rss_mb={rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
