from django.urls import path

from hearth.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("clients/", views.ClientRecordListView.as_view(), name="api_client_list"),
    path(
        "clients/<int:record_id>/",
        views.ClientRecordDetailView.as_view(),
        name="api_client_detail",
    ),
    path("audit/events/", views.AuditEventListView.as_view(), name="api_audit_events"),
]
