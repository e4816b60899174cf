"""REST API v1. Thin: every read goes through a selector, every write through a service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role, User
from hearth.api.models import ApiToken, Scope
from hearth.api.permissions import IsMemberWithMFA
from hearth.api.serializers import (
    AuditEventSerializer,
    ClientRecordListSerializer,
    ClientRecordSerializer,
    MeSerializer,
)
from hearth.api.services import api_token_create, api_token_revoke, scopes_allowed
from hearth.clients.selectors import (
    access_client_record,
    can_read_clinical_text,
    client_records_visible_to,
)
from hearth.clients.services import client_record_create, client_record_update
from hearth.governance.audit import audit_list_read
from hearth.governance.selectors import audit_events_for

RECORD_ROLES = {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}


def _membership(request: Request) -> Any:
    return request._request.membership  # type: ignore[attr-defined]


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="Who am I, in which organisation")
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "email": user.email,  # type: ignore[union-attr]
                    "full_name": user.full_name,  # type: ignore[union-attr]
                    "time_zone": user.time_zone,  # type: ignore[union-attr]
                    "active_membership": _membership(request),
                }
            ).data
        )


def _therapist(record_data: dict[str, Any]) -> dict[str, Any]:
    """The service takes a user; the serializer has already checked the id is a clinician
    of this organisation."""
    if "therapist_id" in record_data:
        therapist_id = record_data.pop("therapist_id")
        record_data["therapist"] = User.objects.get(pk=therapist_id) if therapist_id else None
    return record_data


class ClientRecordListView(generics.GenericAPIView):
    allowed_roles = RECORD_ROLES
    required_scopes = {"read": Scope.CLINICAL_READ, "write": Scope.CLINICAL_WRITE}
    serializer_class = ClientRecordSerializer

    def get_queryset(self) -> Any:
        return client_records_visible_to(_membership(self.request))

    @extend_schema(responses=ClientRecordListSerializer(many=True), summary="Clients you may see")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        audit_list_read(_membership(request), object_type="client_record", count=len(page or []))
        return self.get_paginated_response(ClientRecordListSerializer(page, many=True).data)

    @extend_schema(
        request=ClientRecordSerializer, responses={201: ClientRecordSerializer}, summary="Add"
    )
    def post(self, request: Request) -> Response:
        membership = _membership(request)
        context = {
            "organisation": membership.organisation,
            "clinical_text": membership.role != Role.SERVICE_ADMIN,
        }
        serializer = ClientRecordSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        record = client_record_create(
            membership=membership,
            organisation=membership.organisation,
            actor=request.user,  # type: ignore[arg-type]
            **_therapist(dict(serializer.validated_data)),
        )
        context = {"clinical_text": can_read_clinical_text(membership, record)}
        return Response(ClientRecordSerializer(record, context=context).data, status=201)


class ClientRecordDetailView(APIView):
    allowed_roles = RECORD_ROLES
    required_scopes = {"read": Scope.CLINICAL_READ, "write": Scope.CLINICAL_WRITE}

    @extend_schema(responses=ClientRecordSerializer, summary="One client record (audited)")
    def get(self, request: Request, record_id: int) -> Response:
        membership = _membership(request)
        record = access_client_record(membership, record_id)
        context = {"clinical_text": can_read_clinical_text(membership, record)}
        return Response(ClientRecordSerializer(record, context=context).data)

    @extend_schema(request=ClientRecordSerializer, responses=ClientRecordSerializer)
    def patch(self, request: Request, record_id: int) -> Response:
        membership = _membership(request)
        record = access_client_record(membership, record_id, purpose="edit_view")
        context = {
            "organisation": membership.organisation,
            "clinical_text": can_read_clinical_text(membership, record),
        }
        serializer = ClientRecordSerializer(
            record, data=request.data, partial=True, context=context
        )
        serializer.is_valid(raise_exception=True)
        record = client_record_update(
            membership=membership, record=record, **_therapist(dict(serializer.validated_data))
        )
        context = {"clinical_text": can_read_clinical_text(membership, record)}
        return Response(ClientRecordSerializer(record, context=context).data)


class AuditEventListView(generics.ListAPIView):
    allowed_roles = {Role.SERVICE_ADMIN}
    required_scopes = {"read": Scope.AUDIT_READ}
    serializer_class = AuditEventSerializer

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return audit_events_for(
            _membership(self.request),
            action=params.get("action", ""),
            actor=params.get("actor", ""),
            object_type=params.get("object_type", ""),
            object_id=params.get("object_id", ""),
        )


# --- The schema and its documentation page -------------------------------------------


class SignInFirstMixin(APIView):
    """Members only (session or token). A visitor who sent no credentials at all is sent
    to the sign-in page, as any other page does; a bad token still gets a 401."""

    permission_classes = [IsMemberWithMFA]

    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, exceptions.NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class ApiSchemaView(SignInFirstMixin, SpectacularAPIView):
    """The OpenAPI document. It holds no data, but which endpoints a deployment offers
    is for its members (and their tokens), like the rest of the site."""


class ApiDocsView(SignInFirstMixin, SpectacularSwaggerSplitView):
    """Swagger UI under the site's CSP: the page has no inline script or style; the
    initialising script is served by this same view at ``?script``."""

    template_name = "api/swagger_ui.html"
    url_name = "api_schema"


# --- Pages for managing one's own tokens --------------------------------------------


@member_required(Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    allowed = sorted(scopes_allowed(membership))
    new_key = None
    error = None
    if request.method == "POST":
        try:
            _, new_key = api_token_create(
                membership=membership,
                name=request.POST.get("name", ""),
                scopes=[s for s in request.POST.getlist("scopes") if s],
            )
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    tokens = ApiToken.objects.filter(membership=membership).order_by("-created_at")
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": tokens,
            "scopes": [(s, Scope(s).label) for s in allowed],
            "new_key": new_key,
            "error": error,
        },
        status=status.HTTP_400_BAD_REQUEST if error else 200,
    )


@member_required(Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        api_token_revoke(membership=request.membership, token_id=token_id)  # type: ignore[attr-defined]
    except ValidationError:
        messages.error(request, "No such token.")
    else:
        messages.success(request, "Token revoked.")
    return redirect("api_tokens")
