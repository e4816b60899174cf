from django.urls import path

from hearth.safety import api, api_escalation, api_records, views

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
    path(
        "clients/<int:record_id>/safety-details/",
        api_records.SafetyDetailsView.as_view(),
        name="api_safety_details",
    ),
    path(
        "clients/<int:record_id>/safety-plan/",
        api_records.SafetyPlanView.as_view(),
        name="api_safety_plan",
    ),
    path(
        "clients/<int:record_id>/suitability/",
        api_records.SuitabilityView.as_view(),
        name="api_suitability",
    ),
    path(
        "suitability/reviews-due/",
        api_records.SuitabilityReviewsDueView.as_view(),
        name="api_suitability_reviews_due",
    ),
    path(
        "clients/<int:record_id>/risk-flags/",
        api_records.ClientRiskFlagsView.as_view(),
        name="api_risk_flags",
    ),
    path(
        "risk-flags/<int:flag_id>/resolve/",
        api_records.RiskFlagResolveView.as_view(),
        name="api_risk_flag_resolve",
    ),
    path("duty-shifts/", api_escalation.DutyShiftListView.as_view(), name="api_duty_shifts"),
    path(
        "duty-shifts/<int:shift_id>/",
        api_escalation.DutyShiftDetailView.as_view(),
        name="api_duty_shift",
    ),
    path(
        "escalation-policy/",
        api_escalation.EscalationPolicyView.as_view(),
        name="api_escalation_policy",
    ),
    path("incidents/", api_escalation.IncidentListView.as_view(), name="api_incidents"),
    path(
        "incidents/<int:incident_id>/",
        api_escalation.IncidentDetailView.as_view(),
        name="api_incident",
    ),
    path(
        "incidents/<int:incident_id>/actions/",
        api_escalation.IncidentActionView.as_view(),
        name="api_incident_actions",
    ),
    path(
        "incidents/<int:incident_id>/close/",
        api_escalation.IncidentCloseView.as_view(),
        name="api_incident_close",
    ),
    path(
        "appointments/<int:appointment_id>/disclosures/",
        api_escalation.DisclosureView.as_view(),
        name="api_disclosures",
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
