"""Publishing to WebSocket groups from synchronous code (services, ``on_commit`` hooks).

``group_send_now(group, event)`` sends on the channel layer and returns once sent. It
works on any thread: where the calling thread already runs an event loop (a script or
a test that drives a browser), ``async_to_sync`` cannot be used there, so a short-lived
helper thread sends instead.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def group_send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(group, event)
        return
    failure: list[BaseException] = []

    def helper() -> None:
        try:
            send(group, event)
        except BaseException as exc:  # re-raised on the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=helper)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
