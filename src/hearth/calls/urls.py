from django.urls import path

from hearth.calls import views

urlpatterns = [
    path("calls/<int:appointment_id>/", views.call_page, name="call"),
    path(
        "calls/<int:appointment_id>/telephone/",
        views.telephone_outcome,
        name="call_telephone_outcome",
    ),
    path("calls/<int:appointment_id>/end/", views.end_session, name="call_end"),
]
