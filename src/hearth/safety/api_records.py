"""Safety on the client record under /api/v1/: safety details, the safety plan,
suitability and risk flags. Thin: the same selectors and services as the pages, so the
same people may do the same things, with the same checks and the same audit events."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hearth.accounts.models import CLINICIAN_ROLES, Role
from hearth.safety.api import SCOPES, _membership
from hearth.safety.details import SECTION_MAX, safety_details_update, safety_plan_save
from hearth.safety.models import (
    SAFETY_PLAN_SECTIONS,
    RiskFlag,
    RiskLevel,
    RiskSource,
    RiskType,
    SafetyDetails,
    SafetyPlanVersion,
    SuitabilityAssessment,
)
from hearth.safety.regions import place_label
from hearth.safety.risk import access_risk_flag, risk_flag_raise, risk_flag_resolve
from hearth.safety.selectors import (
    access_client_safety,
    can_read_safety_plan,
    safety_details_of,
    safety_plan_current,
    safety_plan_history,
)
from hearth.safety.suitability import (
    REVIEW_INTERVAL_DAYS,
    TEXT_FIELDS,
    suitability_assess,
    suitability_judgements,
    suitability_review_reasons,
    suitability_worklist,
)
from hearth.scheduling.models import Modality

# Safety details: the client themselves and the record's care team, as on the pages.
DETAILS_ROLES = {Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}
# The plan is clinical text: the client and their clinicians, never service admins.
PLAN_ROLES = {Role.CLIENT, *CLINICIAN_ROLES}
SECTION_NAMES = [name for name, _, _ in SAFETY_PLAN_SECTIONS]
# A clinician raises a flag from an assessment, a disclosure or a report; questionnaire
# answers and help requests raise their own flags.
RAISED_BY_HAND = [
    (value, label)
    for value, label in RiskSource.choices
    if value not in (RiskSource.MEASURE, RiskSource.HELP_REQUEST)
]


# --- Safety details ---------------------------------------------------------------


class SafetyDetailsSerializer(serializers.ModelSerializer):
    place = serializers.SerializerMethodField(help_text="Country and region in words")

    class Meta:
        model = SafetyDetails
        fields = [
            "home_address",
            "country",
            "region",
            "place",
            "callback_phone",
            "emergency_contact_name",
            "emergency_contact_relation",
            "emergency_contact_phone",
            "emergency_contact_consent",
            "consent_recorded_at",
            "professionals",
            "location_changed_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_place(self, details: SafetyDetails) -> str:
        return place_label(details.country, details.region) if details.country else ""


class SafetyDetailsUpdateSerializer(serializers.Serializer):
    """The whole set, as the page sends it (a PUT replaces): read, change, send back.
    Phone numbers are stored in E.164; blank clears a field."""

    home_address = serializers.CharField(allow_blank=True, max_length=1000)
    country = serializers.CharField(allow_blank=True, max_length=2, help_text="ISO 3166-1, e.g. GB")
    region = serializers.CharField(allow_blank=True, max_length=8, help_text="ISO 3166-2, e.g. SCT")
    callback_phone = serializers.CharField(allow_blank=True, max_length=32)
    emergency_contact_name = serializers.CharField(allow_blank=True, max_length=200)
    emergency_contact_relation = serializers.CharField(allow_blank=True, max_length=100)
    emergency_contact_phone = serializers.CharField(allow_blank=True, max_length=32)
    emergency_contact_consent = serializers.BooleanField(
        help_text="The client agrees we may contact this person in an emergency"
    )
    professionals = serializers.CharField(
        allow_blank=True,
        max_length=4000,
        help_text="GP and other professionals involved",
    )


class SafetyDetailsView(APIView):
    allowed_roles = DETAILS_ROLES
    required_scopes = SCOPES

    @extend_schema(
        responses=SafetyDetailsSerializer,
        summary="A client's safety details: address, call-back number, emergency contact",
    )
    def get(self, request: Request, record_id: int) -> Response:
        record = access_client_safety(_membership(request), record_id)
        return Response(SafetyDetailsSerializer(safety_details_of(record)).data)

    @extend_schema(
        request=SafetyDetailsUpdateSerializer,
        responses=SafetyDetailsSerializer,
        summary="Replace a client's safety details (send every field)",
    )
    def put(self, request: Request, record_id: int) -> Response:
        membership = _membership(request)
        record = access_client_safety(membership, record_id, purpose="edit")
        body = SafetyDetailsUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        details = safety_details_update(membership=membership, record=record, **body.validated_data)
        return Response(SafetyDetailsSerializer(details).data)


# --- The safety plan -------------------------------------------------------------


class SafetyPlanVersionSerializer(serializers.ModelSerializer):
    created_by_id = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.full_name")

    class Meta:
        model = SafetyPlanVersion
        fields = ["version", *SECTION_NAMES, "created_by_id", "created_by", "created_at"]


class SafetyPlanHistorySerializer(serializers.ModelSerializer):
    created_by_id = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.full_name")

    class Meta:
        model = SafetyPlanVersion
        fields = ["version", "created_by_id", "created_by", "created_at"]


class SafetyPlanSerializer(serializers.Serializer):
    current = SafetyPlanVersionSerializer(allow_null=True, help_text="Null: no plan yet")
    history = SafetyPlanHistorySerializer(
        many=True, help_text="Who saved each version, newest first"
    )


class SafetyPlanSaveSerializer(serializers.Serializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, hint in SAFETY_PLAN_SECTIONS:
            self.fields[name] = serializers.CharField(
                required=False,
                allow_blank=True,
                max_length=SECTION_MAX,
                help_text=f"{label}: {hint}",
            )


def _plan_record(request: Request, record_id: int, purpose: str) -> Any:
    membership = _membership(request)
    record = access_client_safety(membership, record_id, purpose=purpose)
    if not can_read_safety_plan(membership, record):
        raise PermissionDenied("Only the client and their clinicians read the safety plan.")
    return membership, record


class SafetyPlanView(APIView):
    allowed_roles = PLAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        responses=SafetyPlanSerializer,
        summary="The client's current safety plan and who saved each version",
    )
    def get(self, request: Request, record_id: int) -> Response:
        _, record = _plan_record(request, record_id, "plan_view")
        current = safety_plan_current(record)
        return Response(
            {
                "current": SafetyPlanVersionSerializer(current).data if current else None,
                "history": SafetyPlanHistorySerializer(safety_plan_history(record), many=True).data,
            }
        )

    @extend_schema(
        request=SafetyPlanSaveSerializer,
        responses={201: SafetyPlanVersionSerializer, 200: SafetyPlanVersionSerializer},
        summary="Save the plan as a new version (200: unchanged, the current version)",
    )
    def post(self, request: Request, record_id: int) -> Response:
        membership, record = _plan_record(request, record_id, "plan_edit")
        body = SafetyPlanSaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        before = safety_plan_current(record)
        plan = safety_plan_save(membership=membership, record=record, **body.validated_data)
        created = before is None or plan.pk != before.pk
        return Response(SafetyPlanVersionSerializer(plan).data, status=201 if created else 200)


# --- Suitability -----------------------------------------------------------------


class JudgementSerializer(serializers.Serializer):
    suitable = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True, max_length=500)


class SuitabilityVersionSerializer(serializers.ModelSerializer):
    assessed_by = serializers.CharField(source="assessed_by.full_name")
    assessed_by_id = serializers.IntegerField()
    judgements = serializers.SerializerMethodField()
    choice_recorded_by_id = serializers.IntegerField()

    class Meta:
        model = SuitabilityAssessment
        fields = [
            "version",
            "assessed_at",
            "assessed_by_id",
            "assessed_by",
            "risk_level",
            *TEXT_FIELDS,
            "suitable_modalities",
            "judgements",
            "client_choice",
            "choice_recorded_at",
            "choice_recorded_by_id",
            "review_due",
        ]

    @extend_schema_field(serializers.DictField(child=JudgementSerializer()))
    def get_judgements(self, assessment: SuitabilityAssessment) -> dict[str, dict[str, object]]:
        return suitability_judgements(assessment)


class SuitabilitySerializer(serializers.Serializer):
    review_reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why a review is due now; empty when not"
    )
    versions = SuitabilityVersionSerializer(many=True, help_text="The current version first")


class SuitabilityAssessSerializer(serializers.Serializer):
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    judgements = serializers.DictField(
        child=JudgementSerializer(),
        help_text="By modality (video, audio, telephone, messaging, in_person): "
        "suitable or not, and why",
    )
    client_choice = serializers.ChoiceField(
        choices=Modality.choices, help_text="The way of meeting the client chose"
    )
    review_interval_days = serializers.IntegerField(
        required=False, default=REVIEW_INTERVAL_DAYS, help_text="Review in 7 to 365 days"
    )
    presentation = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    capacity = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    preference = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    privacy = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    technology = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    access_needs = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class SuitabilityView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        responses=SuitabilitySerializer,
        summary="Suitability for remote delivery: every version, current first, and why "
        "a review is due",
    )
    def get(self, request: Request, record_id: int) -> Response:
        record = access_client_safety(_membership(request), record_id, purpose="suitability_view")
        versions = list(
            SuitabilityAssessment.objects.filter(client=record).select_related("assessed_by")
        )
        current = versions[0] if versions else None
        return Response(
            {
                "review_reasons": suitability_review_reasons(record, current),
                "versions": SuitabilityVersionSerializer(versions, many=True).data,
            }
        )

    @extend_schema(
        request=SuitabilityAssessSerializer,
        responses={201: SuitabilityVersionSerializer},
        summary="Record a new suitability assessment and the client's choice",
    )
    def post(self, request: Request, record_id: int) -> Response:
        membership = _membership(request)
        record = access_client_safety(membership, record_id, purpose="suitability_edit")
        body = SuitabilityAssessSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        judgements = {m: (j["suitable"], j["reason"]) for m, j in data.pop("judgements").items()}
        assessment = suitability_assess(
            membership=membership, record=record, judgements=judgements, **data
        )
        return Response(SuitabilityVersionSerializer(assessment).data, status=201)


class WorklistEntrySerializer(serializers.Serializer):
    client_id = serializers.IntegerField(source="record.pk")
    client_name = serializers.CharField(source="record.display_name")
    therapist_id = serializers.IntegerField(source="record.therapist_id", allow_null=True)
    current_version = serializers.IntegerField(source="assessment.version", allow_null=True)
    review_due = serializers.DateField(source="assessment.review_due", allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


class SuitabilityReviewsDueView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        responses=WorklistEntrySerializer(many=True),
        summary="Your clients (a supervisor's team's) whose suitability review is due",
    )
    def get(self, request: Request) -> Response:
        entries = suitability_worklist(_membership(request))  # audited there
        return Response(WorklistEntrySerializer(entries, many=True).data)


# --- Risk flags --------------------------------------------------------------------


class RiskFlagSerializer(serializers.ModelSerializer):
    client_id = serializers.IntegerField()
    raised_by_id = serializers.IntegerField(allow_null=True, help_text="Null: raised automatically")
    resolved_by_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = RiskFlag
        fields = [
            "id",
            "client_id",
            "type",
            "level",
            "source",
            "source_detail",
            "note",
            "review_due",
            "status",
            "raised_at",
            "raised_by_id",
            "resolved_at",
            "resolved_by_id",
            "resolution_note",
        ]


class RiskFlagsSerializer(serializers.Serializer):
    active = RiskFlagSerializer(many=True)
    resolved = RiskFlagSerializer(many=True)


class RiskFlagRaiseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RiskType.choices)
    level = serializers.ChoiceField(choices=RiskLevel.choices)
    source = serializers.ChoiceField(choices=RAISED_BY_HAND)  # type: ignore[assignment]
    source_detail = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Where or when, no content"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    review_due = serializers.DateField(
        required=False, allow_null=True, help_text="Blank: by risk level (2, 14 or 28 days)"
    )


class RiskFlagResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Why the risk is resolved")


class ClientRiskFlagsView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(responses=RiskFlagsSerializer, summary="A client's risk flags")
    def get(self, request: Request, record_id: int) -> Response:
        record = access_client_safety(_membership(request), record_id, purpose="risk_view")
        flags = list(RiskFlag.objects.filter(client=record))
        return Response(
            {
                "active": RiskFlagSerializer(
                    [f for f in flags if f.status == RiskFlag.Status.ACTIVE], many=True
                ).data,
                "resolved": RiskFlagSerializer(
                    [f for f in flags if f.status == RiskFlag.Status.RESOLVED], many=True
                ).data,
            }
        )

    @extend_schema(
        request=RiskFlagRaiseSerializer,
        responses={201: RiskFlagSerializer},
        summary="Raise a risk flag on the client's record",
    )
    def post(self, request: Request, record_id: int) -> Response:
        membership = _membership(request)
        record = access_client_safety(membership, record_id, purpose="risk_edit")
        body = RiskFlagRaiseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flag = risk_flag_raise(
            organisation=membership.organisation,
            client=record,
            raised_by=membership,
            **body.validated_data,
        )
        return Response(RiskFlagSerializer(flag).data, status=201)


class RiskFlagResolveView(APIView):
    allowed_roles = CLINICIAN_ROLES
    required_scopes = SCOPES

    @extend_schema(
        request=RiskFlagResolveSerializer,
        responses=RiskFlagSerializer,
        summary="Resolve a risk flag, saying why",
    )
    def post(self, request: Request, flag_id: int) -> Response:
        membership = _membership(request)
        flag = access_risk_flag(membership, flag_id)
        body = RiskFlagResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flag = risk_flag_resolve(membership=membership, flag=flag, **body.validated_data)
        return Response(RiskFlagSerializer(flag).data)
