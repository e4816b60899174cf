import logging
import signal
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hearth.platform.worker import HeartbeatWorker


class Command(BaseCommand):
    help = "Run a background task worker (reminders, timers, purges)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        worker = HeartbeatWorker(interval=options["interval"], max_tasks=options["max_tasks"])

        def stop(signum: int, frame: Any) -> None:
            # Finish the task in hand, then exit; a second signal exits at once.
            if not worker.running:
                raise SystemExit(1)
            worker.stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Task worker {worker.worker_id} started.")
        worker.run()
