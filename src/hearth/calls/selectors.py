"""Who may be in a call, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from hearth.accounts.models import Membership
from hearth.accounts.selectors import audit_denied
from hearth.calls.models import SessionRecord
from hearth.governance.audit import audit_record
from hearth.scheduling.models import CANCELLED, Appointment, Modality

# Media calls run over the signalling socket; telephone sessions have a page but no socket.
CALL_MODALITIES = {Modality.VIDEO, Modality.AUDIO}
REMOTE_MODALITIES = CALL_MODALITIES | {Modality.TELEPHONE}


@dataclass(frozen=True)
class CallAccess:
    appointment: Appointment
    membership: Membership
    role: str  # "therapist" or "client"

    @property
    def room(self) -> str:
        return f"call.{self.appointment.pk}"


def call_window(appointment: Appointment) -> tuple[datetime, datetime]:
    opens = appointment.starts_at - timedelta(minutes=settings.HEARTH_CALL_OPENS_MINUTES)
    closes = appointment.ends_at + timedelta(minutes=settings.HEARTH_CALL_CLOSES_MINUTES)
    return opens, closes


def call_role(membership: Membership, appointment: Appointment) -> str | None:
    if appointment.organisation_id != membership.organisation_id:
        return None
    if appointment.therapist_id == membership.user_id:
        return "therapist"
    if appointment.client.user_id == membership.user_id:
        return "client"
    return None


def access_call(
    membership: Membership, appointment_id: int, *, purpose: str = "view"
) -> CallAccess:
    """The appointment's client and therapist only; anyone else gets 404 (and is audited).

    Whether the room is open yet is a separate question (``call_is_open``), so the page
    can say "opens at 09:45" to the right people.
    """
    appointment = (
        Appointment.objects.select_related("client", "therapist", "service_type")
        .filter(pk=appointment_id, organisation_id=membership.organisation_id)
        .first()
    )
    role = call_role(membership, appointment) if appointment else None
    if appointment is None or role is None or appointment.modality not in REMOTE_MODALITIES:
        audit_denied(membership, object_type="call", object_id=appointment_id)
        raise Http404("No such call.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"call.{purpose}",
        object_type="appointment",
        object_id=appointment.pk,
    )
    return CallAccess(appointment, membership, role)


def call_is_open(appointment: Appointment) -> bool:
    opens, closes = call_window(appointment)
    return appointment.status not in CANCELLED and opens <= timezone.now() <= closes


def client_callback_number(appointment: Appointment) -> str:
    """The number the therapist phones if the call fails, or for a telephone session:
    the one the client confirmed for this session, else the one on their record."""
    from hearth.safety.checks import session_location

    location = session_location(appointment)
    if location is not None and location.callback_phone:
        return location.callback_phone
    return appointment.client.phone


def session_record_of(appointment: Appointment) -> SessionRecord | None:
    return SessionRecord.objects.filter(appointment=appointment).first()
