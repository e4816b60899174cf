from django.urls import path

from hearth.safety import api, views

api_urlpatterns = [
    path("safety/crisis-numbers/", api.CrisisNumbersView.as_view(), name="api_crisis_numbers"),
    path("safety/help/", api.HelpView.as_view(), name="api_help"),
    path(
        "appointments/<int:appointment_id>/session-check/",
        api.SessionCheckView.as_view(),
        name="api_session_check",
    ),
    path(
        "appointments/<int:appointment_id>/session-check/confirm/",
        api.SessionCheckConfirmView.as_view(),
        name="api_session_check_confirm",
    ),
    path(
        "appointments/<int:appointment_id>/session-check/override/",
        api.SessionCheckOverrideView.as_view(),
        name="api_session_check_override",
    ),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        api.AcknowledgeView.as_view(),
        name="api_incident_acknowledge",
    ),
]

urlpatterns = [
    path("safety/crisis-directory/", views.crisis_directory, name="crisis_directory"),
    path("me/safety/", views.my_safety, name="my_safety"),
    path("safety/help/", views.help_now, name="help_now"),
    path("safety/incidents/", views.incident_list, name="incident_list"),
    path("safety/incidents/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("safety/rota/", views.duty_rota, name="duty_rota"),
    path("clients/<int:record_id>/safety/", views.client_safety, name="client_safety"),
    path("clients/<int:record_id>/risk/", views.client_risk, name="client_risk"),
    path(
        "clients/<int:record_id>/suitability/",
        views.client_suitability,
        name="client_suitability",
    ),
    path("safety/suitability/", views.suitability_due, name="suitability_due"),
    path("safety/checks/<int:appointment_id>/", views.session_check, name="session_check"),
    path("safety/checks/<int:appointment_id>/risk/", views.risk_panel, name="risk_panel"),
    path(
        "safety/checks/<int:appointment_id>/review/",
        views.session_check_review,
        name="session_check_review",
    ),
    path(
        "safety/checks/<int:appointment_id>/confirm/",
        views.session_check_confirm_view,
        name="session_check_confirm",
    ),
    path(
        "safety/checks/<int:appointment_id>/override/",
        views.session_check_override_view,
        name="session_check_override",
    ),
]
