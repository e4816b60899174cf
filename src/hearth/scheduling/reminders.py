"""Appointment reminders by email (with an .ics invitation) and text, sent exactly once.

Each reminder is claimed in its own transaction: PostgreSQL locks the row with
``FOR UPDATE SKIP LOCKED`` so two workers never take the same one; SQLite's IMMEDIATE
transactions run claims one at a time. The row is marked sent in the transaction that
sent it, so a worker that dies mid-send leaves it pending for the next worker. Texts and
emails say when, how, and where to join: never anything clinical.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hearth.platform.sms import get_sms_gateway
from hearth.scheduling.models import CANCELLED, Appointment, AppointmentStatus, Modality, Reminder

logger = logging.getLogger(__name__)

HOW = {
    Modality.VIDEO: "by video",
    Modality.AUDIO: "by audio call",
    Modality.TELEPHONE: "by telephone: your therapist will call you",
    Modality.MESSAGING: "by secure messaging",
    Modality.IN_PERSON: "in person",
}


def appointment_link(appointment: Appointment) -> str:
    return settings.HEARTH_SITE_URL + reverse("my_appointments") + f"#appointment-{appointment.pk}"


def _when(appointment: Appointment) -> str:
    zone = ZoneInfo(
        appointment.client.user.time_zone
        if appointment.client.user
        else settings.HEARTH_DEFAULT_TIME_ZONE
    )
    local = appointment.starts_at.astimezone(zone)
    return f"{local:%A %d %B at %H:%M} ({local.tzname()})"


def appointment_ics(appointment: Appointment, *, method: str = "REQUEST") -> bytes:
    """An iCalendar invitation; UID is stable and SEQUENCE follows reschedules."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Hearth//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.pk}@hearth")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", "Appointment")
    event.add(
        "description",
        f"Your appointment {HOW[Modality(appointment.modality)]}. "
        f"Join or manage it: {appointment_link(appointment)}",
    )
    event.add("url", appointment_link(appointment))
    event.add("status", "CANCELLED" if appointment.status in CANCELLED else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def reminder_email(reminder: Reminder) -> EmailMultiAlternatives:
    appointment = reminder.appointment
    body = (
        "Hello,\n\n"
        f"This is a reminder of your appointment on {_when(appointment)}, "
        f"{HOW[Modality(appointment.modality)]}.\n\n"
        f"Join or manage it here: {appointment_link(appointment)}\n\n"
        "If you need to cancel or move it, please use the link above.\n"
    )
    message = EmailMultiAlternatives(
        subject="Reminder: your appointment",
        body=body,
        to=[appointment.client.email],
        headers={"Message-ID": make_msgid(idstring=f"reminder-{reminder.pk}")},
    )
    message.attach("appointment.ics", appointment_ics(appointment), "text/calendar; method=REQUEST")
    return message


def reminder_text(reminder: Reminder) -> str:
    appointment = reminder.appointment
    return (
        f"Reminder: your appointment is on {_when(appointment)}, "
        f"{HOW[Modality(appointment.modality)]}. Details: {appointment_link(appointment)}"
    )


def _skip(reminder: Reminder, why: str) -> None:
    reminder.status, reminder.note = Reminder.Status.SKIPPED, why
    reminder.save(update_fields=["status", "note"])
    logger.info("reminder %s skipped: %s", reminder.pk, why)


def reminder_send_one(reminder_id: int, *, worker_id: str) -> bool:
    """Claim, check and send one reminder. True if this call sent it."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("appointment__client__user")
            .filter(pk=reminder_id, status=Reminder.Status.PENDING)
            .first()
        )
        if reminder is None:  # another worker has it, or it is done
            return False
        appointment = reminder.appointment
        if appointment.status in CANCELLED:
            _skip(reminder, "cancelled")
            return False
        if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
            _skip(reminder, "not booked")
            return False
        if appointment.sequence != reminder.sequence:
            _skip(reminder, "moved")
            return False
        if appointment.starts_at <= timezone.now():
            _skip(reminder, "too late")
            return False
        reminder.claimed_by, reminder.claimed_at = worker_id, timezone.now()
        if reminder.channel == Reminder.Channel.EMAIL:
            reminder_email(reminder).send()
        else:
            get_sms_gateway().send(to=appointment.client.phone, text=reminder_text(reminder))
        reminder.status, reminder.sent_at = Reminder.Status.SENT, timezone.now()
        reminder.save(update_fields=["status", "sent_at", "claimed_by", "claimed_at"])
    return True


def reminders_send_due(worker_id: str, *, limit: int = 200) -> int:
    """Send every due reminder; return how many this worker sent."""
    due = list(
        Reminder.objects.filter(
            status=Reminder.Status.PENDING,
            due_at__lte=timezone.now(),
            due_at__gte=timezone.now() - timedelta(days=7),
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for reminder_id in due:
        try:
            sent += reminder_send_one(reminder_id, worker_id=worker_id)
        except Exception:
            # The row stays pending and is retried on the next pass; no content logged.
            logger.exception("reminder %s could not be sent", reminder_id)
    return sent
