from django.urls import path

from hearth.calls import views

urlpatterns = [
    path("calls/<int:appointment_id>/", views.call_page, name="call"),
]
