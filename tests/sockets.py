"""A WebSocket test communicator with timeouts for a shared, busy machine.

``channels.testing.WebsocketCommunicator`` waits 1 s by default for a connection or a
frame; on a loaded CI machine a consumer's first database call can take longer than
that. The waits below only bound how long a failing test takes: a passing one returns
as soon as the frame arrives. (``receive_nothing`` keeps its own short default.)
"""

from __future__ import annotations

from typing import Any

from channels.testing import WebsocketCommunicator

PATIENCE = 10.0


class Communicator(WebsocketCommunicator):  # type: ignore[misc]
    async def connect(self, timeout: float = PATIENCE) -> Any:
        return await super().connect(timeout)

    async def receive_from(self, timeout: float = PATIENCE) -> Any:
        return await super().receive_from(timeout)

    async def receive_json_from(self, timeout: float = PATIENCE) -> Any:
        return await super().receive_json_from(timeout)

    async def disconnect(self, code: int = 1000, timeout: float = PATIENCE) -> None:
        await super().disconnect(code, timeout)
