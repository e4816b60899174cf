from django.urls import path

from hearth.safety.consumers import AlertsConsumer

websocket_urlpatterns = [
    path("ws/alerts/", AlertsConsumer.as_asgi()),
]
