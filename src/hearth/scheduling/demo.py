"""Demo and test schedules: services, working hours and profiles for the personas."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import transaction

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Organisation
from hearth.scheduling.models import Modality, SchedulingPolicy, ServiceType, TherapistProfile

ALL_REMOTE = [Modality.VIDEO, Modality.AUDIO, Modality.TELEPHONE, Modality.MESSAGING]
SERVICES = [
    # name, default, min, max, modalities, fee code
    ("Assessment", 60, 45, 90, [*ALL_REMOTE, Modality.IN_PERSON], "ASMT"),
    ("Treatment", 50, 30, 60, [*ALL_REMOTE, Modality.IN_PERSON], "TRT"),
    ("Review", 30, 20, 45, [*ALL_REMOTE, Modality.IN_PERSON], "REV"),
    ("Brief check-in", 15, 10, 20, [Modality.VIDEO, Modality.AUDIO, Modality.TELEPHONE], "CHK"),
]


@transaction.atomic
def schedules_ensure(organisation: Organisation) -> dict[str, ServiceType]:
    """Services, a policy, and Monday–Friday 09:00–17:00 for every clinician who has no
    hours yet (idempotent)."""
    SchedulingPolicy.objects.get_or_create(organisation=organisation)
    services = {}
    for name, default, low, high, modalities, fee in SERVICES:
        services[name], _ = ServiceType.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={
                "default_minutes": default,
                "min_minutes": low,
                "max_minutes": high,
                "modalities": [str(m) for m in modalities],
                "fee_code": fee,
            },
        )
    for membership in Membership.objects.filter(
        organisation=organisation, role__in=CLINICIAN_ROLES, is_active=True
    ):
        profile, created = TherapistProfile.objects.get_or_create(membership=membership)
        if created:
            profile.service_types.set(services.values())
            for weekday in range(5):
                profile.working_hours.create(
                    weekday=weekday,
                    start_time=time(9),
                    end_time=time(17),
                    modalities=[str(m) for m in ALL_REMOTE]
                    + ([str(Modality.IN_PERSON)] if weekday == 1 else []),
                )
    return services


def demo_appointments_ensure(cast: Any) -> None:
    """Alice with Tom and Charlie with Theo on the next weekday, unless they have any."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from hearth.scheduling.models import Appointment
    from hearth.scheduling.services import BookingRequest, appointment_book

    services = schedules_ensure(cast.organisations["riverside"])
    zone = ZoneInfo("Europe/London")
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    plan = [("alice", "tom", 10, "video"), ("charlie", "theo", 11, "audio")]
    for client, therapist, hour, modality in plan:
        if Appointment.objects.filter(client=cast.records[client]).exists():
            continue
        appointment_book(
            membership=cast.memberships[therapist],
            request=BookingRequest(
                client=cast.records[client],
                therapist=cast.users[therapist],
                service_type=services["Treatment"],
                modality=modality,
                starts_at=datetime.combine(day, datetime.min.time(), tzinfo=zone).replace(
                    hour=hour
                ),
            ),
        )


def demo_session_soon(cast: Any, *, modality: str = "video", minutes_ahead: int = 5) -> Any:
    """Alice with Tom, starting in a few minutes, so the call room is open now.

    Tom's hours get an extra stretch around it (the booking rules still apply), so this
    works at any time of day: for trying a call on the demo, and in the tests.
    """
    from datetime import timedelta

    from django.utils import timezone

    from hearth.scheduling.models import AvailabilityException
    from hearth.scheduling.services import BookingRequest, appointment_book

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
