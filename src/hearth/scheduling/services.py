"""Booking, rescheduling, cancelling and attendance. Atomic, audited, and guarded by the
database against double booking (see migration 0002 and ``_insert_or_conflict``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role, User
from hearth.clients.models import ClientRecord
from hearth.governance.audit import audit_record
from hearth.scheduling.availability import (
    Calendar,
    Interval,
    Limits,
    clashes,
    fatigue_problem,
    load_calendars,
    open_windows,
)
from hearth.scheduling.errors import BookingConflict, FatigueLimit
from hearth.scheduling.models import (
    CANCELLED,
    HOLDS_SLOT,
    MAX_DURATION,
    MIN_DURATION,
    Appointment,
    AppointmentStatus,
    ClientBooking,
    Modality,
    Reminder,
    ServiceType,
    TherapistProfile,
    WaitlistEntry,
)
from hearth.scheduling.selectors import policy_of

STAFF_BOOKERS = {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}
CONSTRAINT_MESSAGES = {
    "appointment_therapist_no_overlap": "The therapist is already booked at this time.",
    "appointment_client_no_overlap": "The client already has an appointment at this time.",
}


@dataclass(frozen=True)
class BookingRequest:
    client: ClientRecord
    therapist: User
    service_type: ServiceType
    modality: str
    starts_at: datetime
    minutes: int | None = None


def _viewer_time(moment: datetime, viewer: User) -> str:
    return moment.astimezone(ZoneInfo(viewer.time_zone)).strftime("%a %d %b %H:%M")


def _profile_for(organisation_id: int, therapist: User) -> TherapistProfile:
    profile = (
        TherapistProfile.objects.select_related("membership__user")
        .filter(
            membership__organisation_id=organisation_id,
            membership__user=therapist,
            membership__is_active=True,
            membership__role__in=CLINICIAN_ROLES,
        )
        .first()
    )
    if profile is None:
        raise ValidationError({"therapist": "Choose a therapist from this service."})
    return profile


def _check_actor(membership: Membership, client: ClientRecord) -> None:
    if client.organisation_id != membership.organisation_id:
        raise ValidationError({"client": "Choose a client of this service."})
    if membership.role == Role.CLIENT:
        if client.user_id != membership.user_id:
            raise PermissionDenied("Clients book only for themselves.")
    elif membership.role not in STAFF_BOOKERS:
        raise PermissionDenied("Your role cannot book appointments.")


def _validate(
    *,
    membership: Membership,
    request: BookingRequest,
    exclude_id: int | None = None,
    fatigue_override_reason: str = "",
) -> tuple[Interval, TherapistProfile, int | None, str]:
    """Every rule a booking must meet. Returns the interval, profile, site and any
    recorded fatigue override reason. Raises ValidationError, FatigueLimit or
    BookingConflict with a specific message."""
    service, actor = request.service_type, membership.user
    if service.organisation_id != membership.organisation_id or not service.is_active:
        raise ValidationError({"service_type": "Choose a service this organisation offers."})
    if request.modality not in Modality.values:
        raise ValidationError({"modality": f"Unknown modality {request.modality!r}."})
    if request.modality not in service.modalities:
        raise ValidationError(
            {
                "modality": f"{service.name} is not offered as "
                f"{Modality(request.modality).label.lower()}."
            }
        )
    minutes = request.minutes or service.default_minutes
    if not (
        max(service.min_minutes, MIN_DURATION) <= minutes <= min(service.max_minutes, MAX_DURATION)
    ):
        raise ValidationError(
            {
                "minutes": f"{service.name} lasts {service.min_minutes} to "
                f"{service.max_minutes} minutes, not {minutes}."
            }
        )
    if timezone.is_naive(request.starts_at):
        raise ValidationError({"starts_at": "Give the time with its time zone offset."})
    now = timezone.now()
    policy = policy_of(membership.organisation_id)
    if request.starts_at <= now:
        raise ValidationError({"starts_at": "This time is in the past."})
    if membership.role == Role.CLIENT:
        if request.starts_at < now + timedelta(minutes=policy.minimum_notice_minutes):
            raise ValidationError(
                {"starts_at": f"Book at least {policy.minimum_notice_minutes} minutes ahead."}
            )
        if request.starts_at > now + timedelta(days=policy.booking_horizon_days):
            raise ValidationError(
                {"starts_at": f"Book at most {policy.booking_horizon_days} days ahead."}
            )
    profile = _profile_for(membership.organisation_id, request.therapist)
    if not profile.service_types.filter(pk=service.pk).exists():
        raise ValidationError({"service_type": f"This therapist does not offer {service.name}."})
    candidate = Interval(request.starts_at, request.starts_at + timedelta(minutes=minutes))
    calendar: Calendar = load_calendars([profile], candidate.start, candidate.end)[0]
    if exclude_id is not None:
        own = Appointment.objects.filter(pk=exclude_id).values_list("starts_at", "ends_at").first()
        calendar.busy = [b for b in calendar.busy if (b.interval.start, b.interval.end) != own]
    site = _working_window(calendar, candidate, request.modality)
    limits = Limits.of(policy, profile)
    clash = clashes(calendar, candidate, limits.buffer, limits.min_break)
    if clash is not None:
        raise BookingConflict(
            f"The therapist is already booked from {_viewer_time(clash.interval.start, actor)} "
            f"to {clash.interval.end.astimezone(ZoneInfo(actor.time_zone)):%H:%M}"
            + (
                f" (with {profile.buffer_minutes} minutes between sessions)."
                if profile.buffer_minutes
                else "."
            ),
            code="therapist_busy",
        )
    client_clash = (
        Appointment.objects.filter(
            client=request.client,
            status__in=HOLDS_SLOT,
            starts_at__lt=candidate.end,
            ends_at__gt=candidate.start,
        )
        .exclude(pk=exclude_id or 0)
        .first()
    )
    if client_clash is not None:
        raise BookingConflict(
            "The client already has an appointment from "
            f"{_viewer_time(client_clash.starts_at, actor)} to "
            f"{client_clash.ends_at.astimezone(ZoneInfo(actor.time_zone)):%H:%M}.",
            code="client_busy",
        )
    problem = fatigue_problem(calendar, candidate, request.modality, limits)
    if problem is not None:
        if membership.role == Role.CLIENT:
            raise FatigueLimit({"starts_at": f"{problem} Please choose another time."})
        if not fatigue_override_reason.strip():
            raise FatigueLimit(
                {"fatigue_override_reason": f"{problem} Give a reason to book it anyway."}
            )
        return candidate, profile, site, fatigue_override_reason.strip()
    return candidate, profile, site, ""


def _working_window(calendar: Calendar, candidate: Interval, modality: str) -> int | None:
    for window, site in open_windows(calendar, modality, candidate.start, candidate.end):
        if window.contains(candidate):
            return site
    any_modality = [
        w
        for m in Modality.values
        for w, _ in open_windows(calendar, m, candidate.start, candidate.end)
        if w.contains(candidate)
    ]
    if any_modality:
        raise ValidationError(
            {
                "modality": "The therapist does not offer "
                f"{Modality(modality).label.lower()} sessions at this time."
            }
        )
    raise ValidationError({"starts_at": "This time is outside the therapist's working hours."})


def _insert_or_conflict(appointment: Appointment) -> None:
    """Save, turning the database's refusal of an overlap into a BookingConflict.

    PostgreSQL: exclusion constraints over time ranges refuse overlaps, even between
    transactions that each checked and found the slot free. SQLite: transactions begin
    IMMEDIATE (settings), so the check and the insert run one booking at a time.
    """
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        text = str(exc)
        for name, message in CONSTRAINT_MESSAGES.items():
            if name in text:
                raise BookingConflict(message, code=name) from exc
        raise


def _schedule_reminders(appointment: Appointment) -> None:
    policy = policy_of(appointment.organisation_id)
    now = timezone.now()
    channels = [Reminder.Channel.EMAIL] if appointment.client.email else []
    if appointment.client.phone:
        channels.append(Reminder.Channel.SMS)
    Reminder.objects.bulk_create(
        [
            Reminder(
                appointment=appointment,
                channel=channel,
                offset_minutes=offset,
                sequence=appointment.sequence,
                due_at=appointment.starts_at - timedelta(minutes=offset),
            )
            for offset in policy.reminder_offsets
            for channel in channels
            if appointment.starts_at - timedelta(minutes=offset) > now
        ]
    )


def _skip_pending_reminders(appointment: Appointment, why: str) -> None:
    appointment.reminders.filter(status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SKIPPED, note=why
    )


def _audit(
    membership: Membership, action: str, appointment: Appointment, **changes: object
) -> None:
    audit_record(
        actor=membership.user,
        organisation_id=appointment.organisation_id,
        action=f"appointment.{action}",
        object_type="appointment",
        object_id=appointment.pk,
        changes={k: str(v) if isinstance(v, datetime) else v for k, v in changes.items()},
    )


@transaction.atomic
def appointment_book(
    *,
    membership: Membership,
    request: BookingRequest,
    fatigue_override_reason: str = "",
    suitability_reason: str | None = None,
) -> Appointment:
    """Book (or, where clients may only request, request) an appointment.

    ``suitability_reason``: None when the caller does not apply the suitability rule
    (demo data, internal moves); a string where a person books (pages, API): then a
    remote booking with no current suitability assessment, or in a modality it judged
    unsuitable, needs a reason (SuitabilityWarning otherwise), kept with the appointment.
    Clients are not asked for one (see ``suitability_booking_check``).
    """
    from hearth.safety.suitability import (
        suitability_booking_check,
        suitability_booking_reason_record,
    )

    _check_actor(membership, request.client)
    policy = policy_of(membership.organisation_id)
    status = AppointmentStatus.BOOKED
    if membership.role == Role.CLIENT:
        if policy.client_booking == ClientBooking.OFF:
            raise PermissionDenied("Appointments with this service are booked by staff.")
        if policy.client_booking == ClientBooking.REQUEST:
            status = AppointmentStatus.REQUESTED
    if connection.vendor == "postgresql":
        # Serialise bookings of one therapist so that the check below sees every
        # committed booking; the exclusion constraints remain the final guarantee.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [4401, request.therapist.pk])
    interval, profile, site, override = _validate(
        membership=membership, request=request, fatigue_override_reason=fatigue_override_reason
    )
    warning = ""
    if suitability_reason is not None:
        warning, suitability_reason = suitability_booking_check(
            booker=membership.user,
            client=request.client,
            modality=request.modality,
            reason=suitability_reason,
            by_client=membership.role == Role.CLIENT,
        )
    appointment = Appointment(
        organisation_id=membership.organisation_id,
        therapist=request.therapist,
        client=request.client,
        service_type=request.service_type,
        modality=request.modality,
        modality_chosen_by=membership.user,
        site_id=site,
        starts_at=interval.start,
        ends_at=interval.end,
        blocked_until=interval.end + timedelta(minutes=profile.buffer_minutes),
        status=status,
        booked_by=membership.user,
        fatigue_override_reason=override,
    )
    _insert_or_conflict(appointment)
    if warning:
        suitability_booking_reason_record(
            appointment=appointment,
            booker=membership.user,
            warning=warning,
            reason=suitability_reason or "",
        )
    if status == AppointmentStatus.BOOKED:  # a request is reminded of once confirmed
        _schedule_reminders(appointment)
    WaitlistEntry.objects.filter(
        client=request.client,
        service_type=request.service_type,
        status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
    ).update(status=WaitlistEntry.Status.BOOKED, offered_appointment=appointment)
    _audit(
        membership,
        "book" if status == AppointmentStatus.BOOKED else "request",
        appointment,
        starts_at=appointment.starts_at,
        minutes=appointment.minutes,
        modality=appointment.modality,
        therapist_id=appointment.therapist_id,
        status=status,
        fatigue_override=bool(override),
    )
    return appointment


@transaction.atomic
def appointment_confirm(*, membership: Membership, appointment: Appointment) -> Appointment:
    if membership.role not in STAFF_BOOKERS:
        raise PermissionDenied("Only staff confirm requested appointments.")
    appointment = (
        Appointment.objects.select_for_update().select_related("client").get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.REQUESTED:
        raise ValidationError("Only a requested appointment can be confirmed.")
    if appointment.starts_at <= timezone.now():
        raise ValidationError("The requested time has passed; book another time instead.")
    appointment.status = AppointmentStatus.BOOKED
    appointment.save(update_fields=["status", "updated_at"])
    _schedule_reminders(appointment)
    _audit(membership, "confirm", appointment)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    membership: Membership,
    appointment: Appointment,
    starts_at: datetime,
    reason: str,
    minutes: int | None = None,
    fatigue_override_reason: str = "",
) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("client", "therapist", "service_type")
        .get(pk=appointment.pk)
    )
    _check_actor(membership, appointment.client)
    if appointment.status not in (AppointmentStatus.REQUESTED, AppointmentStatus.BOOKED):
        raise ValidationError("Only a booked or requested appointment can be moved.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the appointment is moving."})
    status = appointment.status
    if membership.role == Role.CLIENT:
        # Moving is booking another time: the organisation's rule for clients applies,
        # and a session that has begun (or been missed) is no longer the client's to move.
        if appointment.starts_at <= timezone.now():
            raise ValidationError("This appointment has already started.")
        policy = policy_of(appointment.organisation_id)
        if policy.client_booking == ClientBooking.OFF:
            raise PermissionDenied("Appointments with this service are booked by staff.")
        if policy.client_booking == ClientBooking.REQUEST:
            status = AppointmentStatus.REQUESTED
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [4401, appointment.therapist_id])
    request = BookingRequest(
        client=appointment.client,
        therapist=appointment.therapist,
        service_type=appointment.service_type,
        modality=appointment.modality,
        starts_at=starts_at,
        minutes=minutes or appointment.minutes,
    )
    interval, profile, site, override = _validate(
        membership=membership,
        request=request,
        exclude_id=appointment.pk,
        fatigue_override_reason=fatigue_override_reason,
    )
    old_start = appointment.starts_at
    appointment.starts_at, appointment.ends_at = interval.start, interval.end
    appointment.blocked_until = interval.end + timedelta(minutes=profile.buffer_minutes)
    appointment.site_id = site
    appointment.sequence += 1
    appointment.fatigue_override_reason = override
    appointment.status = status
    _insert_or_conflict(appointment)
    _skip_pending_reminders(appointment, "moved")
    if status == AppointmentStatus.BOOKED:
        _schedule_reminders(appointment)
    _audit(
        membership,
        "reschedule",
        appointment,
        old_starts_at=old_start,
        starts_at=appointment.starts_at,
        reason=reason.strip()[:300],
        status=status,
    )
    return appointment


@transaction.atomic
def appointment_cancel(
    *, membership: Membership, appointment: Appointment, reason: str
) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update().select_related("client").get(pk=appointment.pk)
    )
    _check_actor(membership, appointment.client)
    if appointment.status in CANCELLED:
        raise ValidationError("This appointment is already cancelled.")
    if appointment.status not in (AppointmentStatus.REQUESTED, AppointmentStatus.BOOKED):
        raise ValidationError("An appointment that has started or ended cannot be cancelled.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the appointment is cancelled."})
    now = timezone.now()
    policy = policy_of(appointment.organisation_id)
    by_client = membership.role == Role.CLIENT
    if by_client and appointment.starts_at <= now:
        # Otherwise a missed session could be turned into a cancellation after the fact.
        raise ValidationError("An appointment that has started or ended cannot be cancelled.")
    appointment.status = (
        AppointmentStatus.CANCELLED_CLIENT if by_client else AppointmentStatus.CANCELLED_SERVICE
    )
    appointment.cancelled_at = now
    appointment.cancelled_by = membership.user
    appointment.cancellation_reason = reason.strip()[:300]
    appointment.late_cancellation = by_client and appointment.starts_at - now < timedelta(
        hours=policy.late_cancellation_hours
    )
    appointment.save()
    _skip_pending_reminders(appointment, "cancelled")
    _audit(
        membership,
        "cancel",
        appointment,
        by="client" if by_client else "service",
        late=appointment.late_cancellation,
    )
    return appointment


@transaction.atomic
def appointment_record_attendance(
    *, membership: Membership, appointment: Appointment, status: str
) -> Appointment:
    """The clinician records what happened. DNA is only ever set here, by a person."""
    if membership.role not in CLINICIAN_ROLES:
        raise PermissionDenied("Only clinicians record attendance.")
    if status not in (AppointmentStatus.ATTENDED, AppointmentStatus.DNA):
        raise ValidationError({"status": "Record attended or did not attend."})
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if membership.role == Role.THERAPIST and appointment.therapist_id != membership.user_id:
        raise PermissionDenied("Attendance is recorded by the appointment's clinician.")
    if appointment.status in CANCELLED:
        raise ValidationError("This appointment was cancelled.")
    if appointment.starts_at > timezone.now():
        raise ValidationError("Attendance can be recorded once the appointment has started.")
    old = appointment.status
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    _audit(membership, "attendance", appointment, old=old, new=status)
    return appointment
