"""A client books, moves and cancels on a phone; the therapist's calendar follows."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hearth.accounts.personas import Cast
from hearth.scheduling.demo import schedules_ensure
from hearth.scheduling.models import Appointment, AppointmentStatus
from tests.browser.conftest import PHONE, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _calendar_entry(page: Any, live_server: Any, appointment: Appointment) -> Any:
    day = appointment.starts_at.astimezone(ZoneInfo(appointment.therapist.time_zone)).date()
    page.goto(f"{live_server.url}/calendar/?view=week&date={day.isoformat()}")
    return page.locator(f"#appointment-{appointment.pk}")


def test_client_books_moves_and_cancels(browser: Any, live_server: Any, cast: Cast) -> None:
    services = schedules_ensure(cast.organisations["riverside"])
    alice = signed_in_context(browser, live_server, cast.users["alice"], **PHONE).new_page()
    tom = signed_in_context(browser, live_server, cast.users["tom"]).new_page()

    # Book the first time Tom offers for a video treatment session.
    alice.goto(f"{live_server.url}/appointments/")
    alice.click("text=Book an appointment")
    alice.select_option("select[name=service_type]", str(services["Treatment"].pk))
    alice.select_option("select[name=modality]", "video")
    alice.click("text=Show times")
    first = alice.locator("button.slot", has_text="Tom Turner").first
    chosen = first.inner_text()
    first.click()
    alice.wait_for_selector(".message.success")
    assert "is booked" in alice.locator(".message.success").inner_text()
    appointment = Appointment.objects.get(client=cast.records["alice"])
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.therapist == cast.users["tom"]
    assert chosen.startswith(
        appointment.starts_at.astimezone(_zone("alice", cast)).strftime("%H:%M")
    )

    entry = _calendar_entry(tom, live_server, appointment)
    assert "Alice Ashworth" in entry.inner_text()
    assert "Booked" in entry.inner_text()

    # Move it to a later time.
    alice.click(f"#appointment-{appointment.pk} >> text=Move")
    alice.fill("textarea[name=reason]", "Work meeting")
    alice.locator("button.slot").nth(4).click()
    alice.wait_for_selector(".message.success")
    assert "Moved to" in alice.locator(".message.success").inner_text()
    moved = Appointment.objects.get(pk=appointment.pk)
    assert moved.starts_at > appointment.starts_at and moved.sequence == 1
    entry = _calendar_entry(tom, live_server, moved)
    local = moved.starts_at.astimezone(_zone("tom", cast))
    assert local.strftime("%H:%M") in entry.inner_text()

    # Cancel it.
    alice.click(f"#appointment-{appointment.pk} >> text=Cancel")
    alice.fill("textarea[name=reason]", "Feeling better")
    alice.click("button:has-text('Cancel appointment')")
    alice.wait_for_selector(".message.success")
    assert "cancelled" in alice.locator(".message.success").inner_text()
    entry = _calendar_entry(tom, live_server, moved)
    assert "Cancelled by client" in entry.inner_text()


def _zone(key: str, cast: Cast) -> ZoneInfo:
    return ZoneInfo(cast.users[key].time_zone)
