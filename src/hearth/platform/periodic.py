"""Jobs the task worker runs on a timer (reminders, purges).

Every worker runs them; each job must be safe to run in several workers at once
(claiming its rows with row locks), so that a second worker is redundancy, not risk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: float
    run: Callable[[str], object]  # called with the worker id


JOBS: list[PeriodicJob] = []


def periodic_register(job: PeriodicJob) -> None:
    if all(existing.name != job.name for existing in JOBS):
        JOBS.append(job)


def periodic_loop(*, worker_id: str, stopped: threading.Event, tick: float = 1.0) -> None:
    """Run each registered job every ``every_seconds`` until ``stopped`` is set."""
    last: dict[str, float] = {}
    try:
        while not stopped.is_set():
            now = time.monotonic()
            for job in list(JOBS):
                if now - last.get(job.name, -job.every_seconds) < job.every_seconds:
                    continue
                last[job.name] = now
                try:
                    close_old_connections()
                    job.run(worker_id)
                except Exception:
                    logger.exception("periodic job %s failed", job.name)
            stopped.wait(tick)
    finally:
        connection.close()
