"""Prometheus metrics: what the process counts as it goes, and what the database knows.

Two kinds of figures, each from where it is exact:

- *Process counters* (HTTP requests by route and status with latency histograms, through
  Litestar's Prometheus middleware; job runs and durations, timed by :func:`timed_job`) live in
  ``prometheus_client``'s registry. Under ``loyalty api --workers N`` and ``loyalty run``
  the processes share ``PROMETHEUS_MULTIPROC_DIR`` (:func:`prepare_multiprocess`), so one
  scrape sums them.
- *Ledger and outbox figures* (members, points issued / spent / expired / outstanding, orders
  by status, outbox depth per channel, delivery outcomes) are read from PostgreSQL at scrape
  time by :func:`snapshot`: one set-based statement each, so every API process answers the
  same numbers and nothing is double counted across processes or lost on a restart.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from loyalty import db

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(data_dir: Path) -> None:
    """Give this process tree one fresh metrics folder, unless the operator set one.

    Must run before ``prometheus_client`` is imported anywhere: it picks its storage
    (in-memory or files) at import time.
    """
    if os.environ.get(MULTIPROC_ENV):
        return
    folder = data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(folder.resolve())


def _job_metrics() -> tuple[object, object]:
    from prometheus_client import Counter, Histogram

    global _JOBS
    if _JOBS is None:
        runs = Counter("loyalty_job_runs_total", "Job runs by job and outcome", ["job", "outcome"])
        seconds = Histogram(
            "loyalty_job_duration_seconds",
            "Job run time",
            ["job"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800),
        )
        _JOBS = (runs, seconds)
    return _JOBS


_JOBS: tuple[object, object] | None = None


@asynccontextmanager
async def timed_job(name: str) -> AsyncIterator[None]:
    """Count one run of job ``name`` (``ok`` or ``error``) and observe how long it took."""
    runs, seconds = _job_metrics()
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        runs.labels(job=name, outcome=outcome).inc()  # type: ignore[attr-defined]
        seconds.labels(job=name).observe(time.perf_counter() - started)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The database's figures at one scrape; every mapping is label value -> number."""

    members: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    outbox_depth: dict[str, int] = field(default_factory=dict)
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)


_POINTS = """
SELECT count(*) FILTER (WHERE NOT blocked) AS active, count(*) FILTER (WHERE blocked) AS blocked,
       coalesce(sum(lifetime), 0) AS issued, coalesce(sum(spent), 0) AS spent,
       coalesce(sum(expired), 0) AS expired,
       coalesce(sum(available) FILTER (WHERE available > 0), 0) AS outstanding,
       coalesce(sum(pending), 0) AS pending
FROM member
"""

# Work not yet done: outbox rows still open (``notifications``), and planned deliveries not yet
# ended (queued, handed to the provider, or waiting to be retried), per channel.
_DEPTH = """
SELECT 'notifications' AS channel, count(*) AS n FROM notification WHERE status = 'pending'
UNION ALL
SELECT channel, count(*) FROM delivery WHERE status IN ('queued', 'sending', 'retry')
 GROUP BY channel
"""


async def snapshot() -> Snapshot:
    """Read the ledger, order and outbox figures (a handful of aggregate statements)."""
    row = await db.fetchrow(_POINTS)
    assert row is not None
    members = {"active": int(row["active"]), "blocked": int(row["blocked"])}
    points = {k: int(row[k]) for k in ("issued", "spent", "expired", "outstanding", "pending")}
    orders = {
        r["status"]: int(r["n"])
        for r in await db.fetch("SELECT status, count(*) AS n FROM shop_order GROUP BY status")
    }
    depth = {r["channel"]: int(r["n"]) for r in await db.fetch(_DEPTH)}
    outcomes = {
        (r["channel"], r["status"]): int(r["n"])
        for r in await db.fetch(
            "SELECT channel, status, count(*) AS n FROM delivery GROUP BY channel, status"
        )
    }
    return Snapshot(members, points, orders, depth, outcomes)


def render_snapshot(snap: Snapshot) -> bytes:
    """The snapshot in Prometheus' text format (gauges: the database holds the totals)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    families = []
    m = GaugeMetricFamily("loyalty_members", "Members by state", labels=["state"])
    for k, v in snap.members.items():
        m.add_metric([k], v)
    families.append(m)
    p = GaugeMetricFamily(
        "loyalty_points",
        "Points issued, spent, expired (lifetime totals), outstanding, pending",
        labels=["kind"],
    )
    for k, v in snap.points.items():
        p.add_metric([k], v)
    families.append(p)
    o = GaugeMetricFamily("loyalty_orders", "Orders reported, by current status", labels=["status"])
    for k, v in snap.orders.items():
        o.add_metric([k], v)
    families.append(o)
    d = GaugeMetricFamily("loyalty_outbox_depth", "Outbox work not yet done", labels=["channel"])
    for k, v in snap.outbox_depth.items():
        d.add_metric([k], v)
    families.append(d)
    r = GaugeMetricFamily(
        "loyalty_deliveries", "Deliveries by channel and outcome", labels=["channel", "status"]
    )
    for (channel, status), v in snap.deliveries.items():
        r.add_metric([channel, status], v)
    families.append(r)

    class _Fixed:
        def collect(self) -> list[GaugeMetricFamily]:
            return families

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed())
    return bytes(generate_latest(registry))


def render_process() -> bytes:
    """This process's counters, or every process's when they share a multiprocess folder."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))
