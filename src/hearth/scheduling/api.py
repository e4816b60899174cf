"""Scheduling endpoints under /api/v1/. Thin: selectors to read, services to write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hearth.accounts.models import Role, User
from hearth.api.models import Scope
from hearth.clients.selectors import access_client_record, client_records_visible_to
from hearth.governance.audit import audit_list_read
from hearth.scheduling.errors import BookingConflict
from hearth.scheduling.models import Appointment, AppointmentStatus, Modality, ServiceType
from hearth.scheduling.search import open_slots
from hearth.scheduling.selectors import access_appointment, appointments_between
from hearth.scheduling.services import (
    BookingRequest,
    appointment_book,
    appointment_cancel,
    appointment_confirm,
    appointment_record_attendance,
    appointment_reschedule,
)

SCHEDULING_ROLES = {Role.CLIENT, Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}
SCOPES = {"read": Scope.CLINICAL_READ, "write": Scope.CLINICAL_WRITE}


def _membership(request: Request) -> Any:
    return request._request.membership  # type: ignore[attr-defined]


def viewer_zone(request: Request, name: str | None) -> ZoneInfo:
    """The zone times are shown in: ``?tz=``, else the user's own."""
    try:
        return ZoneInfo(name or request.user.time_zone)  # type: ignore[union-attr]
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"tz": f"Unknown time zone {name!r}."}) from None


def conflicts_as_409(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except BookingConflict as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=409)

    return wrapper


class SlotSerializer(serializers.Serializer):
    therapist_id = serializers.IntegerField()
    therapist_name = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    modality = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    therapist_name = serializers.CharField(source="therapist.full_name")
    client_name = serializers.CharField(source="client.display_name")
    service = serializers.CharField(source="service_type.name")

    class Meta:
        model = Appointment
        fields = [
            "id",
            "starts_at",
            "ends_at",
            "status",
            "modality",
            "service",
            "therapist_id",
            "therapist_name",
            "client_id",
            "client_name",
            "late_cancellation",
            "sequence",
        ]

    def _local(self, value: datetime) -> str:
        return value.astimezone(self.context["zone"]).isoformat()

    def get_starts_at(self, obj: Appointment) -> str:
        return self._local(obj.starts_at)

    def get_ends_at(self, obj: Appointment) -> str:
        return self._local(obj.ends_at)


class AwareDateTimeField(serializers.DateTimeField):
    """A moment with its offset. A naive time is refused rather than read as UTC: the
    same wall-clock time is a different moment in every zone."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError("Give the time with its time zone offset.")
        return super().enforce_timezone(value)


class BookSerializer(serializers.Serializer):
    client_id = serializers.IntegerField(
        required=False, help_text="Staff only; clients book for themselves."
    )
    therapist_id = serializers.IntegerField()
    service_type_id = serializers.IntegerField()
    modality = serializers.ChoiceField(choices=Modality.choices)
    starts_at = AwareDateTimeField(help_text="ISO 8601 with an offset.")
    minutes = serializers.IntegerField(required=False, min_value=1, max_value=600)
    fatigue_override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300
    )
    suitability_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Staff only: why a remote session is booked although the client has no "
        "current suitability assessment, or it judged this modality unsuitable. Without it "
        "such a booking is refused (400, field suitability_reason).",
    )


class RescheduleSerializer(serializers.Serializer):
    starts_at = AwareDateTimeField(help_text="ISO 8601 with an offset.")
    minutes = serializers.IntegerField(required=False, min_value=1, max_value=600)
    reason = serializers.CharField(max_length=300)
    fatigue_override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class AttendanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (AppointmentStatus.ATTENDED, "Attended"),
            (AppointmentStatus.DNA, "Did not attend"),
        ]
    )


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValidationError({"starts_at": "Give the time with its time zone offset."})
    return value


class SlotsView(APIView):
    allowed_roles = SCHEDULING_ROLES
    required_scopes = SCOPES

    @extend_schema(
        parameters=[
            OpenApiParameter("service_type", int, required=True),
            OpenApiParameter("modality", str, required=True, enum=Modality.values),
            OpenApiParameter("therapist", int, description="One therapist; omit for all."),
            OpenApiParameter("start", str, description="ISO date or datetime; default now."),
            OpenApiParameter("days", int, description="1–28, default 14."),
            OpenApiParameter("tz", str, description="IANA zone for the answer."),
        ],
        responses=SlotSerializer(many=True),
        summary="Open slots, in the viewer's time zone",
    )
    def get(self, request: Request) -> Response:
        membership = _membership(request)
        params = request.query_params
        zone = viewer_zone(request, params.get("tz"))
        service = ServiceType.objects.filter(
            pk=_int(params.get("service_type"), "service_type"),
            organisation_id=membership.organisation_id,
            is_active=True,
        ).first()
        if service is None:
            raise ValidationError({"service_type": "Choose a service this organisation offers."})
        modality = params.get("modality", "")
        if modality not in Modality.values:
            raise ValidationError({"modality": f"Unknown modality {modality!r}."})
        days = _int(params.get("days", "14"), "days")
        if not 1 <= days <= 28:
            raise ValidationError({"days": "Search 1 to 28 days at a time."})
        start = _start(params.get("start"), zone)
        therapist = params.get("therapist")
        slots = open_slots(
            membership=membership,
            service_type=service,
            modality=modality,
            start=start,
            end=start + timedelta(days=days),
            therapist_ids=[_int(therapist, "therapist")] if therapist else None,
        )
        return Response(
            [
                {
                    "therapist_id": s.therapist_id,
                    "therapist_name": s.therapist_name,
                    "starts_at": s.starts_at.astimezone(zone).isoformat(),
                    "ends_at": s.ends_at.astimezone(zone).isoformat(),
                    "modality": s.modality,
                }
                for s in slots
            ]
        )


def _int(value: str | None, name: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise ValidationError({name: "Give a whole number."}) from None


def _start(value: str | None, zone: ZoneInfo) -> datetime:
    if not value:
        return timezone.now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError({"start": "Give a date or time in ISO 8601 form."}) from None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=zone)


class AppointmentListView(APIView):
    allowed_roles = SCHEDULING_ROLES
    required_scopes = SCOPES

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str),
            OpenApiParameter("days", int),
            OpenApiParameter("tz", str),
        ],
        responses=AppointmentSerializer(many=True),
        summary="Appointments you may see",
    )
    def get(self, request: Request) -> Response:
        zone = viewer_zone(request, request.query_params.get("tz"))
        start = _start(request.query_params.get("start"), zone)
        days = _int(request.query_params.get("days", "14"), "days")
        if not 1 <= days <= 62:
            raise ValidationError({"days": "List 1 to 62 days at a time."})
        rows = list(appointments_between(_membership(request), start, start + timedelta(days=days)))
        audit_list_read(_membership(request), object_type="appointment", count=len(rows))
        return Response(AppointmentSerializer(rows, many=True, context={"zone": zone}).data)

    @extend_schema(
        request=BookSerializer,
        responses={201: AppointmentSerializer},
        summary="Book an appointment (409 when the slot is taken)",
    )
    @conflicts_as_409
    def post(self, request: Request) -> Response:
        membership = _membership(request)
        zone = viewer_zone(request, request.query_params.get("tz"))  # refuse before booking
        data = BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        therapist = User.objects.filter(pk=values["therapist_id"]).first()
        service = ServiceType.objects.filter(pk=values["service_type_id"]).first()
        if therapist is None:
            raise ValidationError({"therapist_id": "Choose a therapist from this service."})
        if service is None:
            raise ValidationError({"service_type_id": "Choose a service this organisation offers."})
        if membership.role == Role.CLIENT:
            own = client_records_visible_to(membership).values_list("pk", flat=True).first()
            if own is None:
                raise ValidationError({"client_id": "You have no client record here."})
            client = access_client_record(membership, own, purpose="book")
        else:
            if "client_id" not in values:
                raise ValidationError({"client_id": "Say which client the booking is for."})
            client = access_client_record(membership, values["client_id"], purpose="book")
        appointment = appointment_book(
            membership=membership,
            request=BookingRequest(
                client=client,
                therapist=therapist,
                service_type=service,
                modality=values["modality"],
                starts_at=_aware(values["starts_at"]),
                minutes=values.get("minutes"),
            ),
            fatigue_override_reason=values.get("fatigue_override_reason", ""),
            suitability_reason=values.get("suitability_reason", ""),
        )
        return Response(AppointmentSerializer(appointment, context={"zone": zone}).data, status=201)


class AppointmentDetailView(APIView):
    allowed_roles = SCHEDULING_ROLES
    required_scopes = SCOPES

    @extend_schema(responses=AppointmentSerializer, summary="One appointment")
    def get(self, request: Request, appointment_id: int) -> Response:
        appointment = access_appointment(_membership(request), appointment_id)
        zone = viewer_zone(request, request.query_params.get("tz"))
        return Response(AppointmentSerializer(appointment, context={"zone": zone}).data)


class _Action(APIView):
    allowed_roles = SCHEDULING_ROLES
    required_scopes = SCOPES
    serializer: type[serializers.Serializer]

    def act(self, membership: Any, appointment: Appointment, values: dict[str, Any]) -> Appointment:
        raise NotImplementedError

    @conflicts_as_409
    def post(self, request: Request, appointment_id: int) -> Response:
        membership = _membership(request)
        zone = viewer_zone(request, request.query_params.get("tz"))  # refuse before acting
        data = self.serializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = access_appointment(membership, appointment_id, purpose="change_view")
        appointment = self.act(membership, appointment, dict(data.validated_data))
        return Response(AppointmentSerializer(appointment, context={"zone": zone}).data)


class RescheduleView(_Action):
    serializer = RescheduleSerializer

    @extend_schema(request=RescheduleSerializer, responses=AppointmentSerializer, summary="Move")
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)

    def act(self, membership: Any, appointment: Appointment, values: dict[str, Any]) -> Appointment:
        return appointment_reschedule(
            membership=membership,
            appointment=appointment,
            starts_at=_aware(values["starts_at"]),
            minutes=values.get("minutes"),
            reason=values["reason"],
            fatigue_override_reason=values.get("fatigue_override_reason", ""),
        )


class CancelView(_Action):
    serializer = CancelSerializer

    @extend_schema(request=CancelSerializer, responses=AppointmentSerializer, summary="Cancel")
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)

    def act(self, membership: Any, appointment: Appointment, values: dict[str, Any]) -> Appointment:
        return appointment_cancel(
            membership=membership, appointment=appointment, reason=values["reason"]
        )


class AttendanceView(_Action):
    serializer = AttendanceSerializer
    allowed_roles = {Role.THERAPIST, Role.SUPERVISOR}

    @extend_schema(
        request=AttendanceSerializer, responses=AppointmentSerializer, summary="Record attendance"
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)

    def act(self, membership: Any, appointment: Appointment, values: dict[str, Any]) -> Appointment:
        return appointment_record_attendance(
            membership=membership, appointment=appointment, status=values["status"]
        )


class ConfirmView(_Action):
    serializer = serializers.Serializer
    allowed_roles = {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}

    @extend_schema(request=None, responses=AppointmentSerializer, summary="Confirm a request")
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)

    def act(self, membership: Any, appointment: Appointment, values: dict[str, Any]) -> Appointment:
        return appointment_confirm(membership=membership, appointment=appointment)
