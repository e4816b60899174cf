"""What /healthz checks: the database, the channel layer and the task worker."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import get_channel_layer
from django.db import connection

from hearth.platform.worker import worker_alive


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("channel layer returned a different message")


def check_worker() -> None:
    if not worker_alive():
        raise RuntimeError("no task worker has reported in the last minute")


def _run(check: Any) -> dict[str, str]:
    try:
        if asyncio.iscoroutinefunction(check):
            from asgiref.sync import async_to_sync

            async_to_sync(check)()
        else:
            check()
    except Exception as exc:
        # The exception type and message describe infrastructure, never clinical data.
        return {"status": "fail", "error": f"{type(exc).__name__}: {exc}"[:200]}
    return {"status": "ok"}


def health_report() -> dict[str, dict[str, str]]:
    return {
        "database": _run(check_database),
        "channel_layer": _run(check_channel_layer),
        "task_worker": _run(check_worker),
    }
