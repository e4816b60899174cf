from django.urls import path

from hearth.measures import views

urlpatterns = [
    path("me/measures/", views.my_measures, name="my_measures"),
    path(
        "me/measures/<int:appointment_id>/<slug:code>/",
        views.measure_complete,
        name="measure_complete",
    ),
    path("me/progress/", views.my_progress, name="my_progress"),
    path("me/feedback/<int:appointment_id>/", views.feedback_form, name="feedback_form"),
    path("feedback/", views.feedback_overview, name="feedback_overview"),
    path("feedback/<int:feedback_id>/seen/", views.feedback_seen, name="feedback_seen"),
    path(
        "measures/<int:response_id>/review/",
        views.risk_review,
        name="measure_risk_review",
    ),
]
