"""The duty rota, the escalation policy, incidents and in-session disclosures under
/api/v1/. Thin: the same selectors and services as the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.governance.audit import audit_list_read
from hearth.safety.api import SCOPES, CrisisServiceSerializer, _membership
from hearth.safety.checks import access_check_appointment
from hearth.safety.directory import crisis_numbers_for
from hearth.safety.escalation import (
    access_incident,
    duty_shift_add,
    duty_shift_remove,
    escalation_policy_update,
    incident_action_record,
    incident_close,
    incidents_visible_to,
    policy_of,
    risk_disclosure_record,
)
from hearth.safety.models import DutyShift, Incident, IncidentStep, RiskLevel, RiskType
from hearth.safety.regions import place_label

# The rota is seen by staff who hold records, kept by supervisors and service admins;
# only service admins change how alerts escalate (as on the rota page).
ROTA_READERS = {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}
ROTA_KEEPERS = {Role.SUPERVISOR, Role.SERVICE_ADMIN}
POLICY_KEEPERS = {Role.SERVICE_ADMIN}
ROTA_DEFAULT_DAYS = 14
ROTA_MAX_DAYS = 92


class RolesByMethod:
    """``allowed_roles`` that depend on the method: reading and changing the rota are
    for different people. A refused role gets its 403 before any input is looked at
    (not a 400 about a field); the services check the role again."""

    roles_by_method: dict[str, set[Role]] = {}
    request: Any

    @property
    def allowed_roles(self) -> set[Role]:
        roles = self.roles_by_method
        # A method the view does not have: whoever may use the view at all gets its 405.
        return roles.get(self.request.method) or roles.get("GET") or set().union(*roles.values())


def _clinician(organisation_id: int, user_id: int, field: str) -> Membership:
    """A clinician of the organisation, by user id (as ``therapist_id`` elsewhere in the
    API), checked here so that the error names the API's field."""
    clinician = (
        Membership.objects.active()
        .filter(organisation_id=organisation_id, user_id=user_id, role__in=CLINICIAN_ROLES)
        .select_related("user")
        .first()
    )
    if clinician is None:
        raise serializers.ValidationError({field: "Choose a clinician of this organisation."})
    return clinician


# --- The duty rota ---------------------------------------------------------------


class DutyShiftSerializer(serializers.ModelSerializer):
    clinician_id = serializers.IntegerField(source="membership.user_id")
    clinician = serializers.CharField(source="membership.user.full_name")

    class Meta:
        model = DutyShift
        fields = ["id", "clinician_id", "clinician", "starts_at", "ends_at", "position"]


class DutyShiftAddSerializer(serializers.Serializer):
    clinician_id = serializers.IntegerField(help_text="The user id of a clinician")
    starts_at = serializers.DateTimeField(help_text="ISO 8601; without an offset, UTC")
    ends_at = serializers.DateTimeField(help_text="ISO 8601; at most 7 days after starts_at")
    position = serializers.IntegerField(default=1, help_text="1 is alerted first, up to 9")


class RotaRangeSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start") or timezone.now()
        end = attrs.get("end") or start + timedelta(days=ROTA_DEFAULT_DAYS)
        if end <= start:
            raise serializers.ValidationError({"end": "The end comes after the start."})
        if end - start > timedelta(days=ROTA_MAX_DAYS):
            raise serializers.ValidationError(
                {"end": f"Ask for at most {ROTA_MAX_DAYS} days at a time."}
            )
        return {"start": start, "end": end}


class DutyShiftListView(RolesByMethod, APIView):
    roles_by_method = {"GET": ROTA_READERS, "POST": ROTA_KEEPERS}
    required_scopes = SCOPES

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="ISO 8601; default now"),
            OpenApiParameter("end", str, description="ISO 8601; default start + 14 days"),
        ],
        responses=DutyShiftSerializer(many=True),
        summary="Who is on duty for risk escalations between two times",
    )
    def get(self, request: Request) -> Response:
        span = RotaRangeSerializer(data=request.query_params)
        span.is_valid(raise_exception=True)
        shifts = DutyShift.objects.filter(
            organisation_id=_membership(request).organisation_id,
            ends_at__gt=span.validated_data["start"],
            starts_at__lt=span.validated_data["end"],
        ).select_related("membership__user")
        return Response(DutyShiftSerializer(shifts, many=True).data)

    @extend_schema(
        request=DutyShiftAddSerializer,
        responses={201: DutyShiftSerializer},
        summary="Put a clinician on duty (supervisors and service admins)",
    )
    def post(self, request: Request) -> Response:
        membership = _membership(request)
        body = DutyShiftAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        clinician = _clinician(membership.organisation_id, data.pop("clinician_id"), "clinician_id")
        shift = duty_shift_add(membership=membership, clinician=clinician, **data)
        return Response(DutyShiftSerializer(shift).data, status=201)


class DutyShiftDetailView(RolesByMethod, APIView):
    roles_by_method = {"DELETE": ROTA_KEEPERS}
    required_scopes = SCOPES

    @extend_schema(responses={204: None}, summary="Take a shift off the rota")
    def delete(self, request: Request, shift_id: int) -> Response:
        membership = _membership(request)
        shift = DutyShift.objects.filter(
            organisation_id=membership.organisation_id, pk=shift_id
        ).first()
        if shift is None:
            raise Http404("No such shift.")
        duty_shift_remove(membership=membership, shift=shift)
        return Response(status=204)


class EscalationPolicySerializer(serializers.Serializer):
    ack_minutes = serializers.IntegerField(
        help_text="Minutes an alert may go unacknowledged before it moves on (1-60)"
    )
    service_lead_id = serializers.IntegerField(
        allow_null=True,
        help_text="User id of the clinician alerted last; null: every supervisor",
    )
    service_lead = serializers.CharField(read_only=True)


class EscalationPolicyView(RolesByMethod, APIView):
    roles_by_method = {"GET": ROTA_READERS, "PUT": POLICY_KEEPERS}
    required_scopes = SCOPES

    def _data(self, organisation_id: int) -> dict[str, Any]:
        policy = policy_of(organisation_id)
        lead = policy.service_lead
        return {
            "ack_minutes": policy.ack_minutes,
            "service_lead_id": lead.user_id if lead else None,
            "service_lead": lead.user.full_name if lead else "",
        }

    @extend_schema(responses=EscalationPolicySerializer, summary="How alerts escalate")
    def get(self, request: Request) -> Response:
        return Response(self._data(_membership(request).organisation_id))

    @extend_schema(
        request=EscalationPolicySerializer,
        responses=EscalationPolicySerializer,
        summary="Change how alerts escalate (service admins)",
    )
    def put(self, request: Request) -> Response:
        membership = _membership(request)
        body = EscalationPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead_id = body.validated_data["service_lead_id"]
        lead = (
            None
            if lead_id is None
            else _clinician(membership.organisation_id, lead_id, "service_lead_id")
        )
        escalation_policy_update(
            membership=membership,
            ack_minutes=body.validated_data["ack_minutes"],
            service_lead=lead,
        )
        return Response(self._data(membership.organisation_id))


# --- Incidents -----------------------------------------------------------------------


class IncidentSerializer(serializers.ModelSerializer):
    client_id = serializers.IntegerField()
    client_name = serializers.CharField(source="client.display_name")
    acknowledged_by_id = serializers.IntegerField(allow_null=True)
    place = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "kind",
            "status",
            "client_id",
            "client_name",
            "opened_at",
            "escalation_level",
            "acknowledged_at",
            "acknowledged_by_id",
            "closed_at",
            "place",
        ]

    def get_place(self, incident: Incident) -> str:
        return place_label(incident.country, incident.region) if incident.country else ""


class IncidentStepSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(allow_null=True)
    user = serializers.SerializerMethodField()

    class Meta:
        model = IncidentStep
        fields = ["at", "kind", "user_id", "user", "action", "note"]

    def get_user(self, step: IncidentStep) -> str:
        return step.user.full_name if step.user else ""


class IncidentDetailSerializer(IncidentSerializer):
    appointment_id = serializers.IntegerField(allow_null=True)
    opened_by_id = serializers.IntegerField()
    closed_by_id = serializers.IntegerField(allow_null=True)
    steps = IncidentStepSerializer(many=True, help_text="Timestamped, oldest first")
    crisis_numbers = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "appointment_id",
            "opened_by_id",
            "address",
            "country",
            "region",
            "location_confirmed",
            "closed_by_id",
            "review_note",
            "steps",
            "crisis_numbers",
        ]

    @extend_schema_field(CrisisServiceSerializer(many=True))
    def get_crisis_numbers(self, incident: Incident) -> Any:
        numbers = crisis_numbers_for(incident.organisation_id, incident.country, incident.region)
        return CrisisServiceSerializer(numbers, many=True).data


def _detail(incident: Incident) -> dict[str, Any]:
    incident = (
        Incident.objects.select_related("client")
        .prefetch_related("steps__user")
        .get(pk=incident.pk)
    )
    return dict(IncidentDetailSerializer(incident).data)


class IncidentListView(generics.GenericAPIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES
    serializer_class = IncidentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Incident.Status.values, description="Only these")
        ],
        responses=IncidentSerializer(many=True),
        summary="Incidents you may see: your caseload's and those you were alerted to "
        "(supervisors: all)",
    )
    def get(self, request: Request) -> Response:
        membership = _membership(request)
        incidents = incidents_visible_to(membership).select_related("client")
        status = request.query_params.get("status", "")
        if status:
            if status not in Incident.Status.values:
                raise serializers.ValidationError(
                    {"status": f"Choose one of {', '.join(Incident.Status.values)}."}
                )
            incidents = incidents.filter(status=status)
        page = self.paginate_queryset(incidents)
        audit_list_read(membership, object_type="incident", count=len(page or []))
        return self.get_paginated_response(IncidentSerializer(page, many=True).data)


class IncidentDetailView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        responses=IncidentDetailSerializer,
        summary="One incident with its timestamped steps and the crisis numbers for the place",
    )
    def get(self, request: Request, incident_id: int) -> Response:
        incident = access_incident(_membership(request), incident_id)
        return Response(_detail(incident))


class IncidentActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=IncidentStep.Action.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class IncidentActionView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        request=IncidentActionSerializer,
        responses={201: IncidentStepSerializer},
        summary="Record an action taken on an incident (timestamped now)",
    )
    def post(self, request: Request, incident_id: int) -> Response:
        membership = _membership(request)
        incident = access_incident(membership, incident_id, purpose="action_request")
        body = IncidentActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        step = incident_action_record(
            membership=membership, incident=incident, **body.validated_data
        )
        return Response(IncidentStepSerializer(step).data, status=201)


class IncidentCloseSerializer(serializers.Serializer):
    review_note = serializers.CharField(max_length=4000, help_text="The supervisor's review")


class IncidentCloseView(APIView):
    allowed_roles = {Role.SUPERVISOR}
    required_scopes = SCOPES

    @extend_schema(
        request=IncidentCloseSerializer,
        responses=IncidentDetailSerializer,
        summary="Review and close an acknowledged incident (supervisors)",
    )
    def post(self, request: Request, incident_id: int) -> Response:
        membership = _membership(request)
        incident = access_incident(membership, incident_id, purpose="close_request")
        body = IncidentCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = incident_close(membership=membership, incident=incident, **body.validated_data)
        return Response(_detail(incident))


class DisclosureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RiskType.choices)
    level = serializers.ChoiceField(
        choices=RiskLevel.choices, help_text="High also alerts the clinicians on duty"
    )
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=IncidentStep.Action.choices),
        required=False,
        default=list,
        help_text="The actions taken, each a timestamped step",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class DisclosureView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        request=DisclosureSerializer,
        responses={201: IncidentDetailSerializer},
        summary="The in-session risk panel: a disclosure, a risk flag and an incident "
        "with the actions taken (the session's therapist)",
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        membership = _membership(request)
        appointment, role = access_check_appointment(
            membership, appointment_id, purpose="risk_panel_update"
        )
        if role != "therapist":
            raise PermissionDenied("The risk panel is the session's therapist's.")
        body = DisclosureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = risk_disclosure_record(
            membership=membership, appointment=appointment, **body.validated_data
        )
        return Response(_detail(incident), status=201)
