"""Background tasks of the platform itself."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from hearth.platform.models import WorkerHeartbeat

# A worker that has not reported for this long has gone (crashed or its host removed);
# its row only clutters the table. /healthz judges liveness on a much shorter window.
HEARTBEAT_RETENTION = timedelta(days=1)


@task()
def heartbeats_prune() -> int:
    """Delete heartbeat rows of workers not seen for a day; return how many went."""
    cutoff = timezone.now() - HEARTBEAT_RETENTION
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
