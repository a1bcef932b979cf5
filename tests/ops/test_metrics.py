"""``/metrics``: HTTP counters by route template, ledger and outbox figures, job runs, access."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx

from api.app import create_app
from loyalty import db, metrics
from tests.helpers import Api


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` in a Prometheus text page (labels matched as a subset)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{labels} in:\n{text}")


async def test_metrics_count_requests_by_route_and_read_the_ledger(api: Api) -> None:
    for n in range(3):
        await api.order(f"o-{n}", customer_id="c-1", total_minor=10_000, status="completed")
    r = await api.client.get("/metrics")
    assert r.status_code == 200, r.text
    page = r.text
    route = "/v1/shop/orders/{order_id}"
    assert value(page, "loyalty_http_requests_total", path=route, status_code="200") >= 3
    assert value(page, "loyalty_http_request_duration_seconds_count", path=route) >= 3
    assert value(page, "loyalty_points", kind="issued") == 3_000
    assert value(page, "loyalty_points", kind="outstanding") == 3_000
    assert value(page, "loyalty_members", state="active") == 1
    assert value(page, "loyalty_orders", status="completed") == 3
    open_notes = await db.fetchval("SELECT count(*) FROM notification WHERE status = 'pending'")
    assert open_notes >= 3  # three points_earned (and a welcome)
    assert value(page, "loyalty_outbox_depth", channel="notifications") == open_notes
    # No raw order ids as labels: cardinality stays bounded by the routes.
    assert "o-1" not in page


async def test_job_runs_and_durations_are_counted() -> None:
    async with metrics.timed_job("expire"):
        pass
    try:
        async with metrics.timed_job("remind"):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    page = metrics.render_process().decode()
    assert value(page, "loyalty_job_runs_total", job="expire", outcome="ok") >= 1
    assert value(page, "loyalty_job_runs_total", job="remind", outcome="error") >= 1
    assert value(page, "loyalty_job_duration_seconds_count", job="expire") >= 1


async def test_a_token_protects_the_scrape(app: Any, settings: Any, clock: Any, redis: Any) -> None:
    guarded = create_app(
        dataclasses.replace(settings, metrics_token="scrape-me"),
        clock=clock,
        redis=redis,
        manage_resources=False,
    )
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "metrics_token"
        ok = await client.get("/metrics", headers={"authorization": "Bearer scrape-me"})
        assert ok.status_code == 200 and "loyalty_points" in ok.text


async def test_without_a_token_only_this_machine_may_scrape(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.get("/metrics")
    assert r.status_code == 403 and r.json()["error"]["code"] == "metrics_local_only"
