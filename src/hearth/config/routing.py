"""WebSocket routes. Each domain adds its consumers here (calls, messaging, alerts)."""

from typing import Any

websocket_urlpatterns: list[Any] = []
