"""Finding (or installing) the Chromium the browser tests drive.

Playwright's own browser download cannot run here, so the tests drive Debian's Chromium. When it
is missing and we are root with apt-get, it is installed once per machine (the log says so);
otherwise the browser tests skip with the reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

log = logging.getLogger("tests.admin_ui")


def ensure_chromium() -> tuple[Path | None, str]:
    """The browser's path, or ``None`` and why it cannot be had."""
    if CHROMIUM.exists():
        return CHROMIUM, "present"
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None, "/usr/bin/chromium is missing and apt-get cannot run as root here"
    log.warning("installing Debian's chromium with apt-get (once per machine)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([apt, "update"], [apt, "install", "-y", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        log.warning("%s -> exit %s\n%s", " ".join(cmd), done.returncode, done.stdout[-2000:])
        if done.returncode != 0:
            return None, f"{' '.join(cmd)} failed: {done.stderr[-500:]}"
    if not CHROMIUM.exists():
        return None, "apt-get installed chromium but /usr/bin/chromium is still missing"
    return CHROMIUM, "installed with apt-get"
