"""Session records: arrival, admission, joining and leaving, connection events."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import User
from hearth.calls.models import CallEvent, ModalitySegment, SessionRecord
from hearth.scheduling.models import Appointment, AppointmentStatus


def _record(appointment: Appointment) -> SessionRecord:
    record, _ = SessionRecord.objects.get_or_create(appointment=appointment)
    return record


@transaction.atomic
def call_event_record(
    *, appointment: Appointment, user: User, role: str, kind: str, prejoin: dict | None = None
) -> SessionRecord:
    """Record one event and move the appointment and session record along with it."""
    record = SessionRecord.objects.select_for_update().filter(appointment=appointment).first()
    record = record or _record(appointment)
    now = timezone.now()
    CallEvent.objects.create(session_record=record, kind=kind, user=user, role=role)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if kind == CallEvent.Kind.JOINED and role == "client":
        record.client_arrived_at = record.client_arrived_at or now
        if prejoin is not None:
            record.prejoin = prejoin
        if appointment.status == AppointmentStatus.BOOKED:
            appointment.status = AppointmentStatus.ARRIVED
    elif kind == CallEvent.Kind.ADMITTED:
        record.admitted_at = now
    elif kind == CallEvent.Kind.CONNECTED:
        if record.started_at is None:
            record.started_at = now
            ModalitySegment.objects.create(
                session_record=record, modality=appointment.modality, started_at=now
            )
        if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
            appointment.status = AppointmentStatus.IN_SESSION
    elif kind == CallEvent.Kind.LEFT and role == "therapist" and record.started_at:
        record.ended_at = now
        record.segments.filter(ended_at__isnull=True).update(ended_at=now)
    record.save()
    appointment.save(update_fields=["status", "updated_at"])
    return record
