"""WebSocket routes. Each domain adds its consumers here (calls, messaging, alerts)."""

from typing import Any

from hearth.calls.routing import websocket_urlpatterns as call_routes
from hearth.messaging.routing import websocket_urlpatterns as message_routes
from hearth.safety.routing import websocket_urlpatterns as alert_routes

websocket_urlpatterns: list[Any] = [*call_routes, *message_routes, *alert_routes]
