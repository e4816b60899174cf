"""The background task worker (django-tasks database backend) with a heartbeat."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from hearth.platform.models import WorkerHeartbeat
from hearth.platform.periodic import periodic_loop

logger = logging.getLogger(__name__)


def heartbeat_beat(*, worker_id: str, started_at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def worker_alive() -> bool:
    cutoff = timezone.now() - timedelta(seconds=settings.HEARTH_WORKER_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).exists()


class HeartbeatWorker(Worker):
    """django-tasks-db's worker, plus a thread that records that it is alive."""

    def __init__(self, *, interval: float = 1.0, max_tasks: int | None = None) -> None:
        super().__init__(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        self._stopped = threading.Event()
        self._started_at = timezone.now()

    def _beat_forever(self) -> None:
        period = settings.HEARTH_WORKER_HEARTBEAT_SECONDS
        try:
            while not self._stopped.wait(period):
                try:
                    close_old_connections()
                    heartbeat_beat(worker_id=self.worker_id, started_at=self._started_at)
                except Exception:
                    logger.exception("worker heartbeat failed")
        finally:
            connection.close()

    def run(self) -> None:
        # The first beat is written before any task runs, so /healthz sees the worker
        # as soon as it has started, not one period later.
        heartbeat_beat(worker_id=self.worker_id, started_at=self._started_at)
        beat = threading.Thread(target=self._beat_forever, name="worker-heartbeat", daemon=True)
        beat.start()
        clock = threading.Thread(
            target=periodic_loop,
            kwargs={"worker_id": self.worker_id, "stopped": self._stopped},
            name="worker-clock",
            daemon=True,
        )
        clock.start()
        try:
            super().run()
        finally:
            self.stop()
            # Wait for a beat in flight, or it could re-create the row deleted below and
            # report a stopped worker as alive until the row goes stale.
            beat.join(timeout=30)
            clock.join(timeout=30)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
            connection.close()

    def stop(self) -> None:
        self.running = False
        self._stopped.set()
