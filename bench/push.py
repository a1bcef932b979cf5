"""Push campaign benchmark: real senders against the loopback fakes in another process.

    .venv/bin/python bench/push.py [--devices N] [--batch 500] [--parallel 2] [--profile FILE]

Half the devices are FCM (Android), half APNs (iOS). Batches of ``--batch`` mixed messages
go to their provider's sender, both providers at once, ``--parallel`` batches at a time (a
worker running several jobs). The fakes run in a subprocess (``python -m
loyalty.fakes``) so their CPU is not counted here. The last line is
``pushes_per_s=<n> rss_mb=<n>`` (wall clock; rss is this sender process's peak). The line
before gives the sender's CPU per push: on a shared or small machine, where the fakes
compete with the sender for cores, ``cpu_bound_pushes_per_s`` is what one sender process
can do when the provider is elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import dataclasses
import itertools
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from push.content import DeliveryResult, PushMessage, complete  # noqa: E402
from push.settings import ConfiguredSenders, senders_from_env  # noqa: E402


def campaign(devices: int) -> Iterator[PushMessage]:
    """A "reward available" campaign: every other device is iOS via APNs."""
    for n in range(devices):
        ios = n % 2 == 1
        yield PushMessage(
            token=f"{'apns' if ios else 'fcm'}-device-{n:08d}",
            platform="ios" if ios else "android",
            provider="apns" if ios else "fcm",
            title="A reward is waiting",
            body=f"You have {5000 + n % 997} points: your 10 % coupon is in the app.",
            deep_link="shop://profile/discounts",
            data={"event": "coupon_issued", "member": str(n)},
            collapse_key="coupon",
        )


def start_fakes(folder: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """The fakes in a subprocess; on ports from ``BENCH_PORT_BASE`` when set (else random)."""
    base = os.environ.get("BENCH_PORT_BASE")
    ports = ["--port-base", base] if base else []
    process = subprocess.Popen(
        [sys.executable, "-m", "loyalty.fakes", "--dir", str(folder), "--no-record", *ports],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    env: dict[str, str] = json.loads(process.stdout.readline())
    return process, env


def stop_fakes(process: subprocess.Popen[str]) -> dict[str, int]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    with process.stdout:
        counts: dict[str, int] = json.loads(process.stdout.readline() or "{}")
    process.wait(timeout=10)
    return counts


async def send_push(senders: ConfiguredSenders, batch: list[PushMessage]) -> list[DeliveryResult]:
    """Send a mixed batch, FCM and APNs at once; results in the batch's order."""
    fcm = [i for i, m in enumerate(batch) if m.provider == "fcm"]
    apns = [i for i, m in enumerate(batch) if m.provider == "apns"]
    fcm_results, apns_results = await asyncio.gather(
        senders.fcm.send([batch[i] for i in fcm]), senders.apns.send([batch[i] for i in apns])
    )
    results: list[DeliveryResult | None] = [None] * len(batch)
    for indexes, answers in ((fcm, fcm_results), (apns, apns_results)):
        for index, answer in zip(indexes, answers, strict=True):
            results[index] = answer
    return complete(results)


async def run(
    senders: ConfiguredSenders, messages: Iterator[PushMessage], batch: int, parallel: int
) -> collections.Counter[str]:
    """``parallel`` workers take ``batch`` messages at a time from one shared stream."""
    outcomes: collections.Counter[str] = collections.Counter()

    async def worker() -> None:
        while chunk := list(itertools.islice(messages, batch)):
            results = await send_push(senders, chunk)
            outcomes.update(f"{r.outcome}:{r.reason}" if r.reason else r.outcome for r in results)

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return outcomes


@dataclasses.dataclass(frozen=True)
class Measure:
    seconds: float
    cpu_seconds: float
    outcomes: collections.Counter[str]


async def bench(args: argparse.Namespace, env: dict[str, str]) -> Measure:
    senders = senders_from_env(env)
    try:
        await run(senders, campaign(2 * args.batch), args.batch, args.parallel)  # warm up
        profiler = cProfile.Profile() if args.profile else None
        cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        outcomes = await run(senders, campaign(args.devices), args.batch, args.parallel)
        if profiler:
            profiler.disable()
        measure = Measure(time.perf_counter() - started, time.process_time() - cpu, outcomes)
        if profiler:
            profiler.dump_stats(args.profile)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return measure
    finally:
        await senders.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--profile", default=None, help="write cProfile stats to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-") as folder:
        process, env = start_fakes(Path(folder))
        try:
            measure = asyncio.run(bench(args, env))
        finally:
            received = stop_fakes(process)
    fakes_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    rate = args.devices / measure.seconds
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"devices={args.devices} batch={args.batch} parallel={args.parallel} "
        f"seconds={measure.seconds:.2f} load={os.getloadavg()[0]:.1f}/{os.cpu_count()}cpu"
    )
    print(f"outcomes={dict(measure.outcomes)} fakes_received={received}")
    print(
        f"sender_cpu_s={measure.cpu_seconds:.2f} "
        f"sender_cpu_us_per_push={measure.cpu_seconds / args.devices * 1e6:.0f} "
        f"cpu_bound_pushes_per_s={args.devices / measure.cpu_seconds:.0f} "
        f"fakes_cpu_s={fakes_cpu.ru_utime + fakes_cpu.ru_stime:.2f}"
    )
    print(f"pushes_per_s={rate:.0f} rss_mb={rss_mb:.0f}")


if __name__ == "__main__":
    main()
