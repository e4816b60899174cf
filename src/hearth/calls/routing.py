from django.urls import path

from hearth.calls.consumers import CallConsumer

websocket_urlpatterns = [
    path("ws/calls/<int:appointment_id>/", CallConsumer.as_asgi()),
]
