"""Reads of schedules and appointments; ``access_appointment`` checks permission."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.accounts.selectors import audit_denied
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.scheduling.models import Appointment, SchedulingPolicy, ServiceType, TherapistProfile


def policy_of(organisation_id: int) -> SchedulingPolicy:
    policy, _ = SchedulingPolicy.objects.get_or_create(organisation_id=organisation_id)
    return policy


def appointments_visible_to(membership: Membership) -> QuerySet[Appointment]:
    """Appointments of the clients this membership may see, plus a clinician's own."""
    base = Appointment.objects.filter(organisation_id=membership.organisation_id)
    records = client_records_visible_to(membership).values("pk")
    if membership.role in CLINICIAN_ROLES:
        return base.filter(Q(client_id__in=records) | Q(therapist_id=membership.user_id))
    if membership.role == Role.COMMISSIONER:
        return base.none()
    return base.filter(client_id__in=records)


def access_appointment(
    membership: Membership, appointment_id: int, *, purpose: str = "view", lock: bool = False
) -> Appointment:
    appointments = appointments_visible_to(membership).select_related(
        "client", "therapist", "service_type"
    )
    if lock:
        appointments = appointments.select_for_update(of=("self",))
    appointment = appointments.filter(pk=appointment_id).first()
    if appointment is None:
        audit_denied(membership, object_type="appointment", object_id=appointment_id)
        raise Http404("No such appointment.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"appointment.{purpose}",
        object_type="appointment",
        object_id=appointment.pk,
    )
    return appointment


def therapist_profiles(
    organisation_id: int,
    *,
    service_type: ServiceType | None = None,
    user_ids: list[int] | None = None,
) -> QuerySet[TherapistProfile]:
    profiles = TherapistProfile.objects.filter(
        membership__organisation_id=organisation_id,
        membership__is_active=True,
        membership__role__in=CLINICIAN_ROLES,
    ).select_related("membership__user")
    if service_type is not None:
        profiles = profiles.filter(service_types=service_type)
    if user_ids is not None:
        profiles = profiles.filter(membership__user_id__in=user_ids)
    return profiles


def appointments_between(
    membership: Membership, start: datetime, end: datetime
) -> QuerySet[Appointment]:
    return (
        appointments_visible_to(membership)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("client", "therapist", "service_type")
        .order_by("starts_at")
    )
