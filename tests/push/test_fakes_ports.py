"""``python -m loyalty.fakes --port-base N``: the benches keep their servers in a known range."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from loyalty.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_fakes_listen_on_the_port_base_and_the_next_three(tmp_path: Path) -> None:
    base = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "loyalty.fakes", "--dir", str(tmp_path), "--port-base", str(base)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    with process.stdin, process.stdout:
        env = json.loads(process.stdout.readline())
    process.wait(timeout=30)

    assert env["LOYALTY_FCM_ENDPOINT"].endswith(f":{base}")
    assert env["LOYALTY_APNS_ENDPOINT"].endswith(f":{base + 1}")
    assert env["LOYALTY_SMTP_PORT"] == str(base + 2)
    assert any(value.endswith(f":{base + 3}") for value in env.values())  # Twilio's base URL
