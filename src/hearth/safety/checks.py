"""The session-start check of every remote session.

Public interface (the call page and waiting room use these):
- ``access_check_appointment(membership, appointment_id, purpose=...)`` → (appointment, role)
- ``session_check_submit(membership=..., appointment=..., ...)``: the client, or the
  therapist for a telephone session
- ``session_check_confirm(membership=..., appointment=...)``: the therapist reviewed it
- ``session_check_override(membership=..., appointment=..., reason=...)``: start without it
- ``session_check_status(appointment)`` → ``CheckStatus``: may the therapist start, the
  confirmed location and the crisis numbers that serve it
- ``session_location(appointment)``: only where the client is (no crisis numbers)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from hearth.accounts.models import Membership
from hearth.accounts.selectors import audit_denied
from hearth.governance.audit import audit_record
from hearth.safety.directory import crisis_numbers_for
from hearth.safety.models import CrisisService, SafetyDetails, SessionStartCheck
from hearth.safety.regions import phone_display, phone_normalise, place_check, place_label
from hearth.scheduling.models import CANCELLED, Appointment, Modality

OVERRIDE_REASON_MIN = 10


def check_role(membership: Membership, appointment: Appointment) -> str | None:
    if appointment.organisation_id != membership.organisation_id:
        return None
    if appointment.therapist_id == membership.user_id:
        return "therapist"
    if appointment.client.user_id == membership.user_id:
        return "client"
    return None


def access_check_appointment(
    membership: Membership, appointment_id: int, *, purpose: str = "view"
) -> tuple[Appointment, str]:
    """A remote appointment's client and therapist only; anyone else gets 404 (audited)."""
    appointment = (
        Appointment.objects.select_related("client", "therapist", "organisation")
        .filter(pk=appointment_id, organisation_id=membership.organisation_id)
        .first()
    )
    role = check_role(membership, appointment) if appointment else None
    if appointment is None or role is None or not appointment.is_remote:
        audit_denied(membership, object_type="session_check", object_id=appointment_id)
        raise Http404("No such appointment.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"session_check.{purpose}",
        object_type="appointment",
        object_id=appointment.pk,
    )
    return appointment, role


def check_window(appointment: Appointment) -> tuple[datetime, datetime]:
    """The check is about where the client is now: it opens with the call room."""
    return (
        appointment.starts_at - timedelta(minutes=settings.HEARTH_CALL_OPENS_MINUTES),
        appointment.ends_at + timedelta(minutes=settings.HEARTH_CALL_CLOSES_MINUTES),
    )


def _open_for_checks(appointment: Appointment) -> None:
    if appointment.modality == Modality.IN_PERSON:
        raise ValidationError("In-person sessions have no session-start check.")
    if appointment.status in CANCELLED:
        raise ValidationError("This appointment was cancelled.")
    opens, closes = check_window(appointment)
    now = timezone.now()
    if now < opens:
        raise ValidationError(
            f"The check opens {settings.HEARTH_CALL_OPENS_MINUTES} minutes before the session."
        )
    if now > closes:
        raise ValidationError("This session is over.")


def _therapist_only(membership: Membership, appointment: Appointment) -> None:
    if check_role(membership, appointment) != "therapist":
        raise PermissionDenied("Only the session's therapist reviews the check.")


@transaction.atomic
def session_check_submit(
    *,
    membership: Membership,
    appointment: Appointment,
    location: str,
    callback_phone: str,
    is_private: bool | None,
    emergency_contact_correct: bool | None,
    address: str = "",
    country: str = "",
    region: str = "",
    others_present: str = "",
) -> SessionStartCheck:
    """The client confirms where they are and how to reach them (the therapist records
    it for a telephone session). A new answer needs the therapist's review again."""
    role = check_role(membership, appointment)
    recorded = role == "therapist" and appointment.modality == Modality.TELEPHONE
    if role != "client" and not recorded:
        raise PermissionDenied(
            "The client completes this check; the therapist records it only by telephone."
        )
    _open_for_checks(appointment)
    details = SafetyDetails.objects.filter(client_id=appointment.client_id).first()
    if location == SessionStartCheck.Location.HOME:
        if details is None or not details.home_address:
            raise ValidationError(
                {"location": "No home address is on file: give the address where you are now."}
            )
        address, country, region = details.home_address, details.country, details.region
    elif location == SessionStartCheck.Location.OTHER:
        address = address.strip()
        if not address:
            raise ValidationError({"address": "Give the address where you are now."})
        country, region = place_check(country, region)
    else:
        raise ValidationError({"location": "Say whether you are at home or somewhere else."})
    phone = phone_normalise(
        callback_phone, country or appointment.organisation.country, field="callback_phone"
    )
    if is_private is None:
        raise ValidationError({"is_private": "Say whether you can talk privately."})
    others_present = others_present.strip()
    if not is_private and not others_present:
        raise ValidationError({"others_present": "Say who else is with you."})
    if emergency_contact_correct is None:
        raise ValidationError(
            {"emergency_contact_correct": "Say whether your emergency contact is still right."}
        )
    now = timezone.now()
    check, _ = SessionStartCheck.objects.select_for_update().get_or_create(appointment=appointment)
    check.location, check.address, check.country, check.region = (
        location,
        address,
        country,
        region,
    )
    check.callback_phone, check.is_private = phone, is_private
    check.others_present = others_present if not is_private else ""
    check.emergency_contact_correct = emergency_contact_correct
    check.confirmed_by_client_at, check.submitted_by = now, membership.user
    check.recorded_by = membership.user if recorded else None
    # The therapist confirms what the client said; what the therapist took down
    # themselves by telephone is reviewed as it is recorded.
    check.reviewed_at = now if recorded else None
    check.reviewed_by = membership.user if recorded else None
    check.override_reason, check.overridden_at, check.overridden_by = "", None, None
    check.save()
    audit_record(
        actor=membership.user,
        organisation_id=appointment.organisation_id,
        action="session_check.submit",
        object_type="appointment",
        object_id=appointment.pk,
        changes={
            "location": location,
            "is_private": is_private,
            "emergency_contact_correct": emergency_contact_correct,
            "recorded_by_therapist": recorded,
        },
    )
    return check


@transaction.atomic
def session_check_confirm(*, membership: Membership, appointment: Appointment) -> SessionStartCheck:
    """The therapist has read the client's answers: the session may start."""
    _therapist_only(membership, appointment)
    check = SessionStartCheck.objects.select_for_update().filter(appointment=appointment).first()
    if check is None or check.confirmed_by_client_at is None:
        raise ValidationError(
            "The client has not completed the check yet. Wait for it, or start with a reason."
        )
    if check.reviewed_at is not None:
        raise ValidationError("You have already confirmed this check.")
    check.reviewed_at, check.reviewed_by = timezone.now(), membership.user
    check.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_record(
        actor=membership.user,
        organisation_id=appointment.organisation_id,
        action="session_check.confirm",
        object_type="appointment",
        object_id=appointment.pk,
    )
    return check


@transaction.atomic
def session_check_override(
    *, membership: Membership, appointment: Appointment, reason: str
) -> SessionStartCheck:
    """Start without a confirmed check (the client cannot complete it, say). The reason
    is kept with the check, encrypted; the audit log records that it happened."""
    _therapist_only(membership, appointment)
    _open_for_checks(appointment)
    reason = reason.strip()
    if len(reason) < OVERRIDE_REASON_MIN:
        raise ValidationError({"reason": "Say why the session starts without a confirmed check."})
    check, _ = SessionStartCheck.objects.select_for_update().get_or_create(appointment=appointment)
    if check.reviewed_at is not None:
        raise ValidationError("The check is confirmed: no override is needed.")
    if check.overridden_at is not None:
        raise ValidationError("This check was already overridden.")
    check.override_reason, check.overridden_at = reason, timezone.now()
    check.overridden_by = membership.user
    check.save(update_fields=["override_reason", "overridden_at", "overridden_by"])
    audit_record(
        actor=membership.user,
        organisation_id=appointment.organisation_id,
        action="session_check.override",
        object_type="appointment",
        object_id=appointment.pk,
        changes={"client_answered": check.confirmed_by_client_at is not None},
    )
    return check


@dataclass(frozen=True)
class SessionLocation:
    """Where the client is for this session, as the therapist needs it in view."""

    address: str
    country: str
    region: str
    callback_phone: str
    confirmed: bool  # False: from the record on file, not confirmed for this session

    @property
    def place(self) -> str:
        return place_label(self.country, self.region)

    @property
    def callback_display(self) -> str:
        return phone_display(self.callback_phone)


@dataclass(frozen=True)
class CheckStatus:
    state: str  # "missing", "submitted", "confirmed" or "overridden"
    check: SessionStartCheck | None
    location: SessionLocation | None
    details: SafetyDetails | None
    crisis_numbers: list[CrisisService] = field(default_factory=list)

    @property
    def may_start(self) -> bool:
        return self.state in ("confirmed", "overridden")


def _state(check: SessionStartCheck | None) -> str:
    if check is None:
        return "missing"
    if check.reviewed_at is not None:
        return "confirmed"
    if check.overridden_at is not None:
        return "overridden"
    return "submitted" if check.confirmed_by_client_at is not None else "missing"


def _check_and_location(
    appointment: Appointment,
) -> tuple[SessionStartCheck | None, SafetyDetails | None, SessionLocation | None]:
    check = SessionStartCheck.objects.filter(appointment=appointment).first()
    details = SafetyDetails.objects.filter(client_id=appointment.client_id).first()
    location: SessionLocation | None = None
    if check is not None and check.confirmed_by_client_at is not None:
        location = SessionLocation(
            check.address, check.country, check.region, check.callback_phone, True
        )
    elif details is not None and (details.home_address or details.country):
        location = SessionLocation(
            details.home_address,
            details.country,
            details.region,
            details.callback_phone,
            False,
        )
    return check, details, location


def session_location(appointment: Appointment) -> SessionLocation | None:
    """Where the client is for this session: as confirmed in its check, else as on file.
    Reads no permission itself (as ``session_check_status``)."""
    return _check_and_location(appointment)[2]


def session_check_status(appointment: Appointment) -> CheckStatus:
    """Whether the therapist may start, where the client is, and the numbers for there.

    Reads no permission itself: call it after ``access_check_appointment`` (or the call
    page's own access check), which audits the read.
    """
    check, details, location = _check_and_location(appointment)
    country = location.country if location else ""
    region = location.region if location else ""
    return CheckStatus(
        state=_state(check),
        check=check,
        location=location,
        details=details,
        crisis_numbers=crisis_numbers_for(appointment.organisation_id, country, region),
    )
