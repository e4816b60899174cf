from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.scheduling.demo import schedules_ensure
from hearth.scheduling.models import (
    Appointment,
    AvailabilityException,
    ServiceType,
    TherapistProfile,
)
from hearth.scheduling.services import BookingRequest, appointment_book


@pytest.fixture
def services(cast: Cast) -> dict[str, ServiceType]:
    services = schedules_ensure(cast.organisations["riverside"])
    schedules_ensure(cast.organisations["northgate"])
    return services


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def book_now(cast: Cast, *, modality: str = "video", minutes_ahead: int = 5) -> Appointment:
    """Alice with Tom, starting in a few minutes: the room is open."""
    services = schedules_ensure(cast.organisations["riverside"])
    start = (timezone.now() + timedelta(minutes=minutes_ahead)).replace(microsecond=0)
    profile = TherapistProfile.objects.get(membership=cast.memberships["tom"])
    AvailabilityException.objects.create(
        profile=profile,
        kind=AvailabilityException.Kind.EXTRA,
        starts_at=start - timedelta(hours=1),
        ends_at=start + timedelta(hours=2),
    )
    return appointment_book(
        membership=cast.memberships["tom"],
        request=BookingRequest(
            client=cast.records["alice"],
            therapist=cast.users["tom"],
            service_type=services["Treatment"],
            modality=modality,
            starts_at=start,
        ),
    )
