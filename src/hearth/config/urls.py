from django.contrib import admin
from django.urls import include, path

from hearth.accounts import views as accounts_views
from hearth.api import views as api_views
from hearth.clients import views as clients_views
from hearth.governance import views as governance_views
from hearth.platform import views as platform_views
from hearth.safety.urls import api_urlpatterns as safety_api_urls
from hearth.scheduling.urls import api_urlpatterns as scheduling_api_urls
from hearth.scheduling.urls import page_urlpatterns as scheduling_page_urls
from hearth.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", platform_views.healthz, name="healthz"),
    path("organisations/choose/", web_views.organisation_choose, name="organisation_choose"),
    # Accounts
    path("accounts/", include("allauth.urls")),
    path("accounts/settings/", accounts_views.account_settings, name="account_settings"),
    path("staff/", accounts_views.staff_list, name="staff_list"),
    path(
        "settings/organisation/",
        accounts_views.organisation_settings,
        name="organisation_settings",
    ),
    path(
        "staff/invitations/<int:invitation_id>/revoke/",
        accounts_views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "invitations/<str:token>/",
        accounts_views.invitation_accept_view,
        name="invitation_accept",
    ),
    path("join/<slug:slug>/", accounts_views.client_register_view, name="client_register"),
    # Clients
    path("clients/", clients_views.client_list, name="client_list"),
    path("clients/new/", clients_views.client_create, name="client_create"),
    path("clients/<int:record_id>/", clients_views.client_detail, name="client_detail"),
    path("clients/<int:record_id>/edit/", clients_views.client_edit, name="client_edit"),
    path("me/record/", clients_views.my_record, name="my_record"),
    # Governance
    path("governance/audit/", governance_views.audit_log, name="audit_log"),
    path("governance/audit/export.csv", governance_views.audit_export, name="audit_export"),
    # API
    path("api/v1/", include("hearth.api.urls")),
    path("api/v1/", include(scheduling_api_urls)),
    path("api/v1/", include(safety_api_urls)),
    path("", include(scheduling_page_urls)),
    path("", include("hearth.calls.urls")),
    path("", include("hearth.messaging.urls")),
    path("", include("hearth.records.urls")),
    path("", include("hearth.measures.urls")),
    path("", include("hearth.safety.urls")),
    path("api/schema/", api_views.ApiSchemaView.as_view(), name="api_schema"),
    # The split view serves its initialising script from /api/docs/?script, not inline,
    # so the page works under the CSP's script-src 'self'.
    path("api/docs/", api_views.ApiDocsView.as_view(), name="api_docs"),
    path("api-tokens/", api_views.api_tokens, name="api_tokens"),
    path(
        "api-tokens/<int:token_id>/revoke/",
        api_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "hearth.web.views.error_400"
handler403 = "hearth.web.views.error_403"
handler404 = "hearth.web.views.error_404"
