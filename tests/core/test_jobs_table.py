"""The jobs table is what the worker runs and schedules, and what the CLI can name."""

from __future__ import annotations

import pytest

from jobs import table
from jobs.worker import build_worker
from loyalty.settings import Settings


def test_the_worker_runs_every_job_of_the_table_on_its_schedule(settings: Settings) -> None:
    worker = build_worker(settings, manage_pool=False)
    assert set(worker.functions) >= {job.name.replace("-", "_") for job in table.JOBS}
    scheduled = {c.name: (c.hour, c.minute, c.second) for c in worker.cron_jobs}
    assert scheduled == {
        f"cron:{job.name}": (job.schedule.hour, job.schedule.minute, job.schedule.second)
        for job in table.JOBS
        if job.schedule is not None
    }


@pytest.mark.pure
def test_job_names_are_kept() -> None:
    assert {"expire", "remind", "birthdays", "summary", "deliver", "check-ledger"} <= set(
        table.BY_NAME
    )
    assert table.get("deliver").schedule == table.Cron(second=30)
