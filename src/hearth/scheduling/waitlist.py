"""The waitlist: clients awaiting a first appointment, and offering freed slots."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from hearth.accounts.models import Membership, Role
from hearth.clients.models import ClientRecord
from hearth.governance.audit import audit_record
from hearth.scheduling.models import Modality, ServiceType, WaitlistEntry

STAFF = {Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN}


def waitlist_for(
    membership: Membership, *, service_type: ServiceType | None = None
) -> QuerySet[WaitlistEntry]:
    from hearth.clients.selectors import client_records_visible_to

    entries = WaitlistEntry.objects.filter(
        organisation_id=membership.organisation_id,
        status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
        client__in=client_records_visible_to(membership),
    ).select_related("client", "service_type")
    if service_type is not None:
        entries = entries.filter(service_type=service_type)
    return entries.order_by("added_at")


@transaction.atomic
def waitlist_add(
    *,
    membership: Membership,
    client: ClientRecord,
    service_type: ServiceType,
    modalities: list[str],
) -> WaitlistEntry:
    if membership.role not in STAFF:
        raise PermissionDenied("Only staff manage the waitlist.")
    if service_type.organisation_id != membership.organisation_id:
        raise ValidationError({"service_type": "Choose a service this organisation offers."})
    unknown = set(modalities) - set(Modality.values)
    if unknown:
        raise ValidationError({"modalities": f"Unknown modality: {', '.join(sorted(unknown))}."})
    if WaitlistEntry.objects.filter(
        client=client,
        service_type=service_type,
        status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
    ).exists():
        raise ValidationError("This client is already waiting for this service.")
    entry = WaitlistEntry.objects.create(
        organisation_id=membership.organisation_id,
        client=client,
        service_type=service_type,
        modalities=sorted(modalities),
    )
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="waitlist.add",
        object_type="waitlist_entry",
        object_id=entry.pk,
        changes={"client_id": client.pk, "service_type_id": service_type.pk},
    )
    return entry


@transaction.atomic
def waitlist_remove(*, membership: Membership, entry: WaitlistEntry) -> None:
    if membership.role not in STAFF:
        raise PermissionDenied("Only staff manage the waitlist.")
    entry.status = WaitlistEntry.Status.REMOVED
    entry.save(update_fields=["status"])
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="waitlist.remove",
        object_type="waitlist_entry",
        object_id=entry.pk,
    )


@transaction.atomic
def waitlist_offer(*, membership: Membership, entry: WaitlistEntry) -> None:
    """Tell a waiting client that times are free: an email with a link, nothing clinical."""
    if membership.role not in STAFF:
        raise PermissionDenied("Only staff manage the waitlist.")
    if not entry.client.email:
        raise ValidationError("This client has no email address: telephone them instead.")
    entry.status = WaitlistEntry.Status.OFFERED
    entry.save(update_fields=["status"])
    link = settings.HEARTH_SITE_URL + reverse("appointment_book")
    send_mail(
        subject="Appointment times are available",
        message=(
            "Hello,\n\nAppointment times have become available with your service. "
            f"Sign in to choose one:\n{link}\n\nIf none suits you, you keep your place on the "
            "waiting list.\n"
        ),
        from_email=None,
        recipient_list=[entry.client.email],
    )
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="waitlist.offer",
        object_type="waitlist_entry",
        object_id=entry.pk,
    )
