"""The ``loyalty`` command as an operator runs it, in a subprocess against the test database."""

from __future__ import annotations

import os
import subprocess
import sys

import jwt

from loyalty import db
from loyalty.settings import Settings
from tests.helpers import Api


def loyalty(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "LOYALTY_JWT_SECRET": settings.jwt_secret or "",
    }
    return subprocess.run(
        [sys.executable, "-m", "loyalty.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_check_ledger_passes_then_catches_drift(api: Api, settings: Settings) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=5_000, status="completed")
    ok = loyalty(settings, "check-ledger")
    assert ok.returncode == 0, ok.stderr
    assert "0 with a cache different" in ok.stdout
    await db.execute("UPDATE member SET available = available + 1 WHERE customer_id = 'c-1'")
    bad = loyalty(settings, "check-ledger")
    assert bad.returncode == 1
    assert "c-1" in bad.stdout


async def test_jobs_run_with_as_of(settings: Settings) -> None:
    out = loyalty(settings, "jobs", "run", "check-ledger", "--as-of", "2027-01-01")
    assert out.returncode == 0, out.stderr
    assert "2027-01-01" in out.stdout
    unknown = loyalty(settings, "jobs", "run", "nope")
    assert unknown.returncode != 0 and "unknown job" in unknown.stderr


def test_token_prints_a_shopper_jwt(settings: Settings) -> None:
    out = loyalty(settings, "token", "c-42")
    assert out.returncode == 0, out.stderr
    claims = jwt.decode(out.stdout.strip(), settings.jwt_secret or "", algorithms=["HS256"])
    assert claims["sub"] == "c-42"


def test_production_refuses_default_secrets(settings: Settings) -> None:
    env = {**os.environ, "LOYALTY_ENV": "production"}
    out = subprocess.run(
        [sys.executable, "-m", "loyalty.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "LOYALTY_SHOP_SECRET" in out.stderr
