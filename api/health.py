"""Liveness and readiness: 200 only when PostgreSQL and Redis both answer."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from loyalty import db


@get(
    "/health",
    tags=["operations"],
    responses={503: ResponseSpec(dict[str, str], description="A dependency does not answer.")},
)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(db.fetchval("SELECT 1"), 2)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(request.app.state.redis.ping(), 2)
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503
    )
