"""Every scheduled job by name: what ``loyalty jobs run NAME`` and the arq worker call.

A job is an adapter: it takes the moment it runs "as of", calls domain services and returns a
dict of counts for the log. Feature modules register theirs with :func:`job`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

JobFn = Callable[[datetime], Awaitable[dict[str, Any]]]
JOBS: dict[str, JobFn] = {}


def job(name: str) -> Callable[[JobFn], JobFn]:
    def register(fn: JobFn) -> JobFn:
        JOBS[name] = fn
        return fn

    return register


def load_all() -> dict[str, JobFn]:
    """Import the modules that register jobs, then return the registry."""
    import jobs.activity
    import jobs.notify
    import jobs.scheduled
    import jobs.tiers
    import jobs.validity  # noqa: F401

    return JOBS
