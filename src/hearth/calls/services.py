"""Session records: arrival, admission, media, telephone, connection events and the end.

One remote appointment has one session record. Every change of modality (video to
audio only, either to the telephone) closes one segment and opens the next, so the
record shows how the session was actually delivered, minute by minute.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import User
from hearth.calls.models import CallEvent, ModalitySegment, SessionRecord
from hearth.governance.audit import audit_record
from hearth.scheduling.models import CANCELLED, Appointment, AppointmentStatus, Modality

TELEPHONE_OUTCOMES = {
    "connected": CallEvent.Kind.PHONE_CONNECTED,
    "no_answer": CallEvent.Kind.PHONE_NO_ANSWER,
    "wrong_number": CallEvent.Kind.PHONE_WRONG_NUMBER,
}


def _locked(appointment: Appointment) -> tuple[SessionRecord, Appointment]:
    """The session record and its appointment, locked for this transaction."""
    SessionRecord.objects.get_or_create(appointment=appointment)
    record = SessionRecord.objects.select_for_update().get(appointment=appointment)
    return record, Appointment.objects.select_for_update().get(pk=appointment.pk)


def _open_segment(record: SessionRecord) -> ModalitySegment | None:
    return record.segments.filter(ended_at__isnull=True).order_by("-started_at").first()


def _switch_segment(record: SessionRecord, modality: str, now: datetime) -> None:
    """Close the open segment and open one in ``modality`` (no-op if already in it)."""
    current = _open_segment(record)
    if current is not None and current.modality == modality:
        return
    record.segments.filter(ended_at__isnull=True).update(ended_at=now)
    ModalitySegment.objects.create(session_record=record, modality=modality, started_at=now)


def _media_modality(record: SessionRecord, booked: str) -> str:
    """Video while either side sends video; audio once both are audio only."""
    sides = {record.media.get(role, booked) for role in ("client", "therapist")}
    return Modality.VIDEO if Modality.VIDEO in sides else Modality.AUDIO


def _start(record: SessionRecord, appointment: Appointment, modality: str, now: datetime) -> None:
    if record.started_at is None:
        record.started_at = now
    _switch_segment(record, modality, now)
    if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
        appointment.status = AppointmentStatus.IN_SESSION


@transaction.atomic
def call_event_record(
    *, appointment: Appointment, user: User, role: str, kind: str, prejoin: dict | None = None
) -> SessionRecord:
    """Record one event from the call and move the appointment and session record along."""
    record, appointment = _locked(appointment)
    now = timezone.now()
    CallEvent.objects.create(session_record=record, kind=kind, user=user, role=role)
    if kind == CallEvent.Kind.JOINED and role == "client":
        record.client_arrived_at = record.client_arrived_at or now
        if prejoin is not None:
            record.prejoin = prejoin
        if appointment.status == AppointmentStatus.BOOKED:
            appointment.status = AppointmentStatus.ARRIVED
    elif kind == CallEvent.Kind.ADMITTED:
        record.admitted_at = now
    elif kind == CallEvent.Kind.CONNECTED and record.ended_at is None:
        if record.telephone_since is None:
            _start(record, appointment, _media_modality(record, appointment.modality), now)
    elif kind in (CallEvent.Kind.AUDIO_ONLY, CallEvent.Kind.VIDEO):
        sending = Modality.AUDIO if kind == CallEvent.Kind.AUDIO_ONLY else Modality.VIDEO
        record.media = {**record.media, role: sending}
        if record.started_at and record.ended_at is None and record.telephone_since is None:
            _switch_segment(record, _media_modality(record, appointment.modality), now)
    record.save()
    appointment.save(update_fields=["status", "updated_at"])
    return record


def _check_clinician(user: User, appointment: Appointment) -> None:
    if appointment.therapist_id != user.pk:
        raise PermissionDenied("Only the session's therapist can do this.")
    if appointment.status in CANCELLED:
        raise ValidationError("This appointment was cancelled.")


def _audit(user: User, appointment: Appointment, action: str, **changes: object) -> None:
    audit_record(
        actor=user,
        organisation_id=appointment.organisation_id,
        action=f"session.{action}",
        object_type="appointment",
        object_id=appointment.pk,
        changes=changes or None,
    )


@transaction.atomic
def session_switch_to_phone(*, user: User, appointment: Appointment) -> SessionRecord:
    """End the media and carry on by telephone: the same session, a new segment follows."""
    _check_clinician(user, appointment)
    record, appointment = _locked(appointment)
    if record.ended_at is not None:
        raise ValidationError("This session has ended.")
    if record.telephone_since is not None:
        return record
    now = timezone.now()
    record.telephone_since = now
    record.segments.filter(ended_at__isnull=True).update(ended_at=now)
    record.save(update_fields=["telephone_since"])
    CallEvent.objects.create(
        session_record=record, kind=CallEvent.Kind.SWITCHED_TO_PHONE, user=user, role="therapist"
    )
    _audit(user, appointment, "switch_to_phone")
    return record


@transaction.atomic
def telephone_outcome_record(
    *, user: User, appointment: Appointment, outcome: str
) -> SessionRecord:
    """The therapist phoned the client: connected, no answer, or wrong number."""
    if outcome not in TELEPHONE_OUTCOMES:
        raise ValidationError(
            {"outcome": "Choose connected, no answer or wrong number."}, code="invalid"
        )
    _check_clinician(user, appointment)
    record, appointment = _locked(appointment)
    if record.ended_at is not None:
        raise ValidationError("This session has ended.")
    if appointment.modality != Modality.TELEPHONE and record.telephone_since is None:
        raise ValidationError("This session is not by telephone. Switch to phone first.")
    now = timezone.now()
    record.telephone_since = record.telephone_since or now
    CallEvent.objects.create(
        session_record=record, kind=TELEPHONE_OUTCOMES[outcome], user=user, role="therapist"
    )
    if outcome == "connected":
        _start(record, appointment, Modality.TELEPHONE, now)
    record.save()
    appointment.save(update_fields=["status", "updated_at"])
    _audit(user, appointment, "telephone_outcome", outcome=outcome)
    return record


@transaction.atomic
def session_end(*, user: User, appointment: Appointment) -> SessionRecord:
    """The therapist ends the session: times closed, and a session that ran is attended.

    A session that never started (nobody connected) is left for the therapist to record
    as attended or did not attend on the calendar: Hearth never guesses a DNA.
    """
    _check_clinician(user, appointment)
    record, appointment = _locked(appointment)
    if record.ended_at is not None:
        return record
    now = timezone.now()
    if record.started_at is not None:
        record.ended_at = now
        record.segments.filter(ended_at__isnull=True).update(ended_at=now)
        old = appointment.status
        appointment.status = AppointmentStatus.ATTENDED
        appointment.save(update_fields=["status", "updated_at"])
        _audit(user, appointment, "end", old=old, new=appointment.status)
        record.save(update_fields=["ended_at"])
        CallEvent.objects.create(
            session_record=record, kind=CallEvent.Kind.ENDED, user=user, role="therapist"
        )
    else:
        raise ValidationError(
            "This session has not started. Record attended or did not attend on the calendar."
        )
    return record
