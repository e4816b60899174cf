"""WebSocket routes. Each domain adds its consumers here (calls, messaging, alerts)."""

from typing import Any

from hearth.calls.routing import websocket_urlpatterns as call_routes

websocket_urlpatterns: list[Any] = [*call_routes]
