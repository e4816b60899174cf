"""Reminders: what they say, and that each is sent exactly once.

Email goes through Django's SMTP backend to a real SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from django.db import connection, transaction
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.scheduling.models import Reminder, ServiceType
from hearth.scheduling.reminders import reminder_send_one, reminders_send_due
from hearth.scheduling.services import (
    BookingRequest,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from tests.conftest import Inbox
from tests.scheduling.conftest import book_now


@pytest.fixture
def sms_file(settings: Any, tmp_path: Path) -> Path:
    settings.HEARTH_SMS_BACKEND = "file"
    settings.HEARTH_SMS_FILE = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def _book_soon(cast: Cast, services: dict[str, ServiceType], *, hours_ahead: int = 3):
    """An appointment a few hours ahead, in extra hours opened for it, with due reminders."""
    record = cast.records["alice"]
    record.phone = "+447700900123"  # before booking: it decides the text reminder
    record.save()
    appointment = book_now(cast, minutes_ahead=hours_ahead * 60)
    # The 2-hour reminders fall due now; the 48-hour ones were never due (too late).
    Reminder.objects.filter(appointment=appointment).update(due_at=timezone.now())
    return appointment


def test_reminders_say_when_and_how_and_nothing_clinical(
    cast: Cast, services: dict[str, ServiceType], smtp: Inbox, sms_file: Path
) -> None:
    appointment = _book_soon(cast, services)
    assert set(appointment.reminders.values_list("channel", "offset_minutes")) == {
        ("email", 120),
        ("sms", 120),
    }
    assert reminders_send_due("worker-a") == 2
    [message] = smtp.messages
    assert message["To"] == "alice@demo.hearth.test"
    assert message["Subject"] == "Reminder: your appointment"
    parts = {part.get_content_type(): part for part in message.walk()}
    text = parts["text/plain"].get_payload(decode=True).decode()
    assert "by video" in text and "/appointments/#appointment-" in text
    calendar = icalendar.Calendar.from_ical(parts["text/calendar"].get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"appointment-{appointment.pk}@hearth"
    assert event.decoded("dtstart") == appointment.starts_at
    sms = [json.loads(line) for line in sms_file.read_text().splitlines()]
    assert [s["to"] for s in sms] == ["+447700900123"]
    everything = message.as_string() + sms_file.read_text()
    for clinical in ("Low mood", "worry", "Treatment", cast.records["alice"].presenting_summary):
        assert clinical not in everything
    assert set(appointment.reminders.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.both_databases
def test_two_workers_send_each_reminder_once(
    cast: Cast, services: dict[str, ServiceType], smtp: Inbox, sms_file: Path
) -> None:
    appointments = [_book_soon(cast, services, hours_ahead=3)]
    # Another client, another due reminder pair, to give the workers more to race over.
    charlie = cast.records["charlie"]
    charlie.therapist = cast.users["tom"]
    charlie.phone = "+447700900456"
    charlie.save()
    start = appointments[0].starts_at + timedelta(hours=1)
    appointments.append(
        appointment_book(
            membership=cast.memberships["tom"],
            request=BookingRequest(
                client=charlie,
                therapist=cast.users["tom"],
                service_type=services["Review"],
                modality="audio",
                starts_at=start,
            ),
        )
    )
    Reminder.objects.update(due_at=timezone.now())
    due = Reminder.objects.count()
    barrier = threading.Barrier(4)

    def worker(name: str) -> int:
        try:
            barrier.wait(timeout=10)
            return reminders_send_due(name)
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        sent = sum(pool.map(worker, ["w1", "w2", "w3", "w4"]))
    assert sent == due
    emails = len(smtp.messages)
    texts = len(sms_file.read_text().splitlines())
    assert (emails, texts) == (2, 2)
    assert Reminder.objects.filter(status="sent").count() == due
    # A restarted worker finds nothing left to send.
    assert reminders_send_due("w5-after-restart") == 0
    assert len(smtp.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_a_worker_dying_mid_send_leaves_the_reminder_to_the_next(
    postgres: None, cast: Cast, services: dict[str, ServiceType], smtp: Inbox, sms_file: Path
) -> None:
    """PostgreSQL: the dying worker holds the row lock; the other skips it (SKIP LOCKED),
    and sends it once the dead worker's transaction is gone."""
    appointment = _book_soon(cast, services)
    email_reminder = appointment.reminders.get(channel="email")
    locked, release = threading.Event(), threading.Event()

    def dying_worker() -> None:
        try:
            with transaction.atomic():
                Reminder.objects.select_for_update().get(pk=email_reminder.pk)
                locked.set()
                release.wait(timeout=20)
                raise ConnectionResetError("worker killed mid-send")
        except ConnectionResetError:
            pass
        finally:
            connection.close()

    dying = threading.Thread(target=dying_worker)
    dying.start()
    assert locked.wait(timeout=10)
    assert reminder_send_one(email_reminder.pk, worker_id="healthy") is False
    release.set()
    dying.join(timeout=20)
    assert reminders_send_due("healthy") == 2  # the email, and the text that was free
    assert len(smtp.messages) == 1
    assert reminders_send_due("healthy") == 0


def test_cancelled_and_moved_appointments_skip_their_reminders(
    cast: Cast, services: dict[str, ServiceType], smtp: Inbox, sms_file: Path, caplog: Any
) -> None:
    cancelled = _book_soon(cast, services, hours_ahead=3)
    appointment_cancel(membership=cast.memberships["tom"], appointment=cancelled, reason="Unwell")
    assert set(cancelled.reminders.values_list("status", "note")) == {("skipped", "cancelled")}
    moved = _book_soon(cast, services, hours_ahead=5)
    old = list(moved.reminders.values_list("pk", flat=True))
    moved = appointment_reschedule(
        membership=cast.memberships["tom"],
        appointment=moved,
        starts_at=moved.starts_at + timedelta(minutes=30),
        reason="Clash",
    )
    assert set(Reminder.objects.filter(pk__in=old).values_list("status", "note")) == {
        ("skipped", "moved")
    }
    # A reminder of the old version that slipped through is still refused at send time.
    stale = Reminder.objects.get(pk=old[0])
    Reminder.objects.filter(pk=stale.pk).update(status="pending", due_at=timezone.now())
    with caplog.at_level("INFO", logger="hearth.scheduling.reminders"):
        assert reminder_send_one(stale.pk, worker_id="w") is False
    assert "skipped: moved" in caplog.text
    assert smtp.messages == []
