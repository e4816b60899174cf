"""Safety endpoints under /api/v1/. Thin: the same selectors and services as the pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hearth.accounts.models import CLINICIAN_ROLES, Role
from hearth.api.models import Scope
from hearth.safety.checks import (
    CheckStatus,
    access_check_appointment,
    session_check_confirm,
    session_check_override,
    session_check_status,
    session_check_submit,
)
from hearth.safety.directory import crisis_numbers_for
from hearth.safety.escalation import access_incident, escalation_acknowledge, help_request_raise
from hearth.safety.models import CrisisService, SessionStartCheck
from hearth.safety.regions import place_check

SCOPES = {"read": Scope.CLINICAL_READ, "write": Scope.CLINICAL_WRITE}
CHECK_ROLES = {Role.CLIENT, *CLINICIAN_ROLES}


def _membership(request: Request) -> Any:
    return request._request.membership  # type: ignore[attr-defined]


class CrisisServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CrisisService
        fields = ["name", "number", "kind", "hours", "country", "region", "notes", "source_url"]


class LocationSerializer(serializers.Serializer):
    address = serializers.CharField()
    country = serializers.CharField()
    region = serializers.CharField()
    place = serializers.CharField()
    callback_phone = serializers.CharField()
    confirmed = serializers.BooleanField(help_text="False: from the record, not this session")


class CheckStatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["missing", "submitted", "confirmed", "overridden"])
    may_start = serializers.BooleanField()
    location = LocationSerializer(allow_null=True)
    crisis_numbers = CrisisServiceSerializer(many=True)


class CheckSubmitSerializer(serializers.Serializer):
    location = serializers.ChoiceField(choices=SessionStartCheck.Location.choices)
    address = serializers.CharField(required=False, allow_blank=True, max_length=500)
    country = serializers.CharField(required=False, allow_blank=True, max_length=2)
    region = serializers.CharField(required=False, allow_blank=True, max_length=8)
    callback_phone = serializers.CharField(max_length=32)
    is_private = serializers.BooleanField()
    others_present = serializers.CharField(required=False, allow_blank=True, max_length=200)
    emergency_contact_correct = serializers.BooleanField()


class OverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class HelpSerializer(serializers.Serializer):
    incident_id = serializers.IntegerField()
    place = serializers.CharField()
    crisis_numbers = CrisisServiceSerializer(many=True)
    repeated = serializers.BooleanField(help_text="True: joined a request made just before")


def _status_data(status: CheckStatus) -> dict[str, Any]:
    location = status.location
    return {
        "state": status.state,
        "may_start": status.may_start,
        "location": None
        if location is None
        else {
            "address": location.address,
            "country": location.country,
            "region": location.region,
            "place": location.place,
            "callback_phone": location.callback_phone,
            "confirmed": location.confirmed,
        },
        "crisis_numbers": CrisisServiceSerializer(status.crisis_numbers, many=True).data,
    }


class CrisisNumbersView(APIView):
    required_scopes = SCOPES

    @extend_schema(
        parameters=[
            OpenApiParameter("country", str, description="ISO 3166-1; default the service's"),
            OpenApiParameter("region", str, description="ISO 3166-2 subdivision, e.g. SCT"),
        ],
        responses=CrisisServiceSerializer(many=True),
        summary="Crisis numbers for a place, emergency first",
    )
    def get(self, request: Request) -> Response:
        membership = _membership(request)
        country = request.query_params.get("country", "") or membership.organisation.country
        country, region = place_check(country, request.query_params.get("region", ""))
        entries = crisis_numbers_for(membership.organisation, country, region)
        return Response(CrisisServiceSerializer(entries, many=True).data)


class SessionCheckView(APIView):
    allowed_roles = CHECK_ROLES
    required_scopes = SCOPES

    @extend_schema(responses=CheckStatusSerializer, summary="The session-start check")
    def get(self, request: Request, appointment_id: int) -> Response:
        appointment, _ = access_check_appointment(_membership(request), appointment_id)
        return Response(_status_data(session_check_status(appointment)))

    @extend_schema(
        request=CheckSubmitSerializer,
        responses=CheckStatusSerializer,
        summary="Answer the check (the client; the therapist for telephone sessions)",
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        membership = _membership(request)
        appointment, _ = access_check_appointment(membership, appointment_id, purpose="submit")
        body = CheckSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session_check_submit(membership=membership, appointment=appointment, **body.validated_data)
        return Response(_status_data(session_check_status(appointment)))


class SessionCheckConfirmView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(request=None, responses=CheckStatusSerializer, summary="Confirm the check")
    def post(self, request: Request, appointment_id: int) -> Response:
        membership = _membership(request)
        appointment, _ = access_check_appointment(membership, appointment_id, purpose="confirm")
        session_check_confirm(membership=membership, appointment=appointment)
        return Response(_status_data(session_check_status(appointment)))


class SessionCheckOverrideView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        request=OverrideSerializer,
        responses=CheckStatusSerializer,
        summary="Start without a confirmed check, with a reason",
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        membership = _membership(request)
        appointment, _ = access_check_appointment(membership, appointment_id, purpose="override")
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session_check_override(
            membership=membership, appointment=appointment, **body.validated_data
        )
        return Response(_status_data(session_check_status(appointment)))


class HelpView(APIView):
    allowed_roles = {Role.CLIENT}
    required_scopes = SCOPES

    @extend_schema(
        request=None,
        responses={201: HelpSerializer},
        summary="I need help now: alert the care team; the crisis numbers for where I am",
    )
    def post(self, request: Request) -> Response:
        outcome = help_request_raise(membership=_membership(request))
        data = {
            "incident_id": outcome.incident.pk,
            "place": outcome.place.label,
            "crisis_numbers": CrisisServiceSerializer(outcome.crisis_numbers, many=True).data,
            "repeated": outcome.repeated,
        }
        return Response(data, status=201)


class AcknowledgeView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(request=None, responses={204: None}, summary="Acknowledge an alert")
    def post(self, request: Request, incident_id: int) -> Response:
        membership = _membership(request)
        incident = access_incident(membership, incident_id, purpose="acknowledge_request")
        escalation_acknowledge(membership=membership, incident=incident)
        return Response(status=204)
