"""The email asking a client to complete their measures before a session.

It says when the appointment is and where to go: never which questionnaires, scores or
anything else clinical. One per appointment: the invitation row is unique per
appointment and created in the transaction that sends it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from hearth.measures.models import MeasureInvitation
from hearth.measures.selectors import measures_due
from hearth.records.selectors import clinical_policy_of
from hearth.scheduling.models import Appointment, AppointmentStatus
from hearth.scheduling.reminders import _when

logger = logging.getLogger(__name__)


def measures_link() -> str:
    return settings.HEARTH_SITE_URL + reverse("my_measures")


def measure_invitation_email(appointment: Appointment) -> EmailMessage:
    body = (
        "Hello,\n\n"
        f"Before your appointment on {_when(appointment)}, please answer a few short "
        "questions about how you have been. It takes a minute or two, and your "
        "therapist will look at your answers with you.\n\n"
        f"Answer them here (sign in first): {measures_link()}\n"
    )
    return EmailMessage(subject="Before your appointment", body=body, to=[appointment.client.email])


def measure_invitation_send(appointment: Appointment) -> bool:
    """Send the invitation for one appointment unless one exists. True if sent now."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                invitation = MeasureInvitation.objects.create(appointment=appointment)
        except IntegrityError:
            return False  # another worker has it
        measure_invitation_email(appointment).send()
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return True


def measure_invitations_send_due(worker_id: str = "", *, limit: int = 200) -> int:
    """Invite every client with measures due before a coming appointment; return how many
    invitations this call sent."""
    now = timezone.now()
    horizon = now + timedelta(days=7)
    candidates = (
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
            starts_at__lte=horizon,
            measure_invitation__isnull=True,
        )
        .exclude(client__email="")
        .select_related("client__user")
        .order_by("starts_at")[:limit]
    )
    sent = 0
    for appointment in candidates:
        policy = clinical_policy_of(appointment.organisation_id)
        if appointment.starts_at > now + timedelta(hours=policy.measures_invite_hours):
            continue
        due = measures_due(appointment.client, now=now)
        if not any(d.appointment.pk == appointment.pk for d in due):
            continue
        try:
            sent += measure_invitation_send(appointment)
        except Exception:
            # The invitation row rolls back with the failed send: retried next pass.
            logger.exception("measure invitation for appointment %s failed", appointment.pk)
    return sent
