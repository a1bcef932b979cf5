"""``GET /metrics`` for Prometheus, and the middleware that counts HTTP requests.

Protected: with ``LOYALTY_METRICS_TOKEN`` set, a scrape must send it as a bearer token; without
it, only clients on this machine (loopback) may scrape, so a local try works and nothing leaks.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.plugins.prometheus import PrometheusConfig

from api.deps import settings_of
from loyalty import metrics
from loyalty.errors import Forbidden, Unauthorized

# Routes by template (``/v1/shop/orders/{order_id}``), never by raw path: bounded cardinality.
PROMETHEUS = PrometheusConfig(
    app_name="loyalty",
    prefix="loyalty_http",
    group_path=True,
    exclude=["^/metrics$", "^/schema"],
    buckets=[0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
)

_LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}


def _authorise(request: Request[Any, Any, Any]) -> None:
    token = settings_of(request).metrics_token
    if token is None:
        host = request.client.host if request.client else ""
        if host not in _LOOPBACK:
            raise Forbidden("metrics_local_only", "set LOYALTY_METRICS_TOKEN to scrape remotely")
        return
    sent = request.headers.get("authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("metrics_token", "a valid metrics bearer token is required")


@get(
    "/metrics",
    tags=["operations"],
    operation_id="getMetrics",
    include_in_schema=True,
    media_type="text/plain",
    summary="Prometheus metrics (text format)",
)
async def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    _authorise(request)
    body = metrics.render_process() + metrics.render_snapshot(await metrics.snapshot())
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
