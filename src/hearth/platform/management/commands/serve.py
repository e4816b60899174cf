import threading
from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand

from hearth.platform.worker import HeartbeatWorker


class Command(BaseCommand):
    help = "Serve Hearth over HTTP and WebSockets (ASGI), with an in-process task worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the task worker in this process (run `hearth worker` instead).",
        )
        parser.add_argument("--proxy-headers", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if not options["no_worker"]:
            worker = HeartbeatWorker()
            threading.Thread(target=worker.run, name="task-worker", daemon=True).start()
        config = uvicorn.Config(
            "hearth.config.asgi:application",
            host=options["host"],
            port=options["port"],
            lifespan="off",
            proxy_headers=options["proxy_headers"],
            access_log=False,  # URLs carry no clinical content, but keep logs lean
            server_header=False,
        )
        self.stdout.write(f"Hearth is serving on http://{options['host']}:{options['port']}")
        try:
            uvicorn.Server(config).run()
        finally:
            if worker is not None:
                worker.stop()
