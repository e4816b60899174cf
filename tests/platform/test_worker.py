"""The task worker: runs queued django-tasks jobs and reports that it is alive.

These tests run the real worker loop in the test's thread against the real database
(transaction=True: the worker and its heartbeat thread need committed rows).
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_started

from hearth.platform.models import WorkerHeartbeat
from hearth.platform.tasks import heartbeats_prune
from hearth.platform.worker import HeartbeatWorker, heartbeat_beat, worker_alive

pytestmark = pytest.mark.django_db(transaction=True)


def heartbeat_row(*, age: timedelta) -> WorkerHeartbeat:
    seen = timezone.now() - age
    return WorkerHeartbeat.objects.create(
        worker_id=uuid.uuid4().hex, hostname="elsewhere", pid=2, started_at=seen, seen_at=seen
    )


@pytest.fixture
def seen_at_task_start() -> Iterator[list[set[str]]]:
    """The worker ids with a heartbeat row at the moment each task starts."""
    seen: list[set[str]] = []

    def record(**kwargs: Any) -> None:
        seen.append(set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)))

    task_started.connect(record, dispatch_uid="test-worker-heartbeat")
    yield seen
    task_started.disconnect(dispatch_uid="test-worker-heartbeat")


def test_worker_runs_the_prune_task_and_beats_while_running(
    seen_at_task_start: list[set[str]],
) -> None:
    stale = heartbeat_row(age=timedelta(days=1, minutes=1))
    fresh = heartbeat_row(age=timedelta(hours=23))
    result = heartbeats_prune.enqueue()
    assert result.status == TaskResultStatus.READY

    worker = HeartbeatWorker(max_tasks=1, interval=0.1)
    worker.run()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    remaining = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    assert stale.worker_id not in remaining
    assert fresh.worker_id in remaining
    # While the task ran, this worker had reported in (so /healthz saw it as alive) …
    assert len(seen_at_task_start) == 1
    assert worker.worker_id in seen_at_task_start[0]
    # … and a worker that stops takes its heartbeat with it.
    assert remaining == {fresh.worker_id}


def test_no_beat_survives_the_worker(settings: Any) -> None:
    """With a very short period the heartbeat thread is almost always mid-write when the
    worker stops; the row must still be gone once run() returns."""
    settings.HEARTH_WORKER_HEARTBEAT_SECONDS = 0.001
    for _ in range(3):
        heartbeats_prune.enqueue()
        worker = HeartbeatWorker(max_tasks=1, interval=0.05)
        worker.run()
        assert not WorkerHeartbeat.objects.filter(worker_id=worker.worker_id).exists()
        assert not [t for t in threading.enumerate() if t.name == "worker-heartbeat"]


def test_heartbeat_beat_and_worker_alive(settings: Any) -> None:
    assert not worker_alive()
    started = timezone.now()
    heartbeat_beat(worker_id="w1", started_at=started)
    assert worker_alive()
    row = WorkerHeartbeat.objects.get(worker_id="w1")
    first_seen = row.seen_at
    heartbeat_beat(worker_id="w1", started_at=started)  # updates, never duplicates
    row.refresh_from_db()
    assert WorkerHeartbeat.objects.count() == 1
    assert row.seen_at >= first_seen
    assert row.started_at == started
    WorkerHeartbeat.objects.update(
        seen_at=timezone.now() - timedelta(seconds=settings.HEARTH_WORKER_STALE_SECONDS + 1)
    )
    assert not worker_alive()


def test_a_failing_task_is_recorded_and_the_worker_goes_on() -> None:
    """A task that raises is marked FAILED; the worker survives it and stops cleanly."""
    failing = heartbeats_prune.enqueue(1)  # an argument the task does not take
    worker = HeartbeatWorker(max_tasks=1, interval=0.05)
    worker.run()
    failing.refresh()
    assert failing.status == TaskResultStatus.FAILED
    assert failing.errors and "TypeError" in failing.errors[0].exception_class_path
    assert not WorkerHeartbeat.objects.filter(worker_id=worker.worker_id).exists()


def test_worker_command_runs_one_task_and_exits() -> None:
    stale = heartbeat_row(age=timedelta(days=2))
    result = heartbeats_prune.enqueue()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", "--max-tasks", "1", "--interval", "0.05")
    finally:
        for signum, handler in handlers.items():  # the command installs its own
            signal.signal(signum, handler)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert not WorkerHeartbeat.objects.filter(pk=stale.pk).exists()
    assert not WorkerHeartbeat.objects.exists()


def test_the_worker_clock_enqueues_the_heartbeat_prune(db: None) -> None:
    from django_tasks_db.models import DBTaskResult

    from hearth.platform.periodic import JOBS

    [job] = [job for job in JOBS if job.name == "heartbeats_prune"]
    assert job.every_seconds == 3600
    job.run("worker-id")
    assert DBTaskResult.objects.filter(task_path__endswith="heartbeats_prune").count() == 1
