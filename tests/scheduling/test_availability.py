"""Open slots across time zones and daylight-saving changes, buffers and fatigue limits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hearth.accounts.personas import Cast
from hearth.scheduling.availability import Limits, load_calendars, local_to_utc, slots_for
from hearth.scheduling.models import Modality, SchedulingPolicy, ServiceType, TherapistProfile
from hearth.scheduling.services import BookingRequest, appointment_book
from tests.scheduling.conftest import utc

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def first_slots(
    cast: Cast, key: str, day_utc_start: datetime, *, minutes: int = 50, modality=Modality.VIDEO
):
    profile = TherapistProfile.objects.get(membership=cast.memberships[key])
    policy = SchedulingPolicy.objects.get(organisation=cast.organisations["riverside"])
    end = day_utc_start + timedelta(days=1)
    calendar = load_calendars([profile], day_utc_start, end)[0]
    return slots_for(
        calendar,
        modality=modality,
        minutes=minutes,
        start=day_utc_start,
        end=end,
        limits=Limits.of(policy, profile),
    )


def test_local_to_utc_across_the_gap_and_the_overlap() -> None:
    # 2027-03-28 01:30 does not exist in London: read with the offset before the gap
    # (GMT), it is 01:30 UTC, which clocks show as 02:30 BST (RFC 5545, 3.3.5).
    gap = local_to_utc(date(2027, 3, 28), time(1, 30), LONDON)
    assert gap == utc(2027, 3, 28, 1, 30)
    assert gap.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"
    # 2027-10-31 01:30 happens twice in London: the first (BST) is taken.
    assert local_to_utc(date(2027, 10, 31), time(1, 30), LONDON) == utc(2027, 10, 31, 0, 30)


@pytest.mark.parametrize(
    ("monday", "first_utc", "first_new_york"),
    [
        # Before either change: London GMT (UTC+0), New York EST (UTC-5).
        (utc(2027, 3, 8), utc(2027, 3, 8, 9), "04:00"),
        # New York moved on 14 March (EDT, UTC-4); London not yet.
        (utc(2027, 3, 22), utc(2027, 3, 22, 9), "05:00"),
        # London moved on 28 March (BST, UTC+1): 09:00 in London is 08:00 UTC.
        (utc(2027, 3, 29), utc(2027, 3, 29, 8), "04:00"),
        # London back to GMT on 31 October; New York still on EDT until 7 November.
        (utc(2027, 11, 1), utc(2027, 11, 1, 9), "05:00"),
        (utc(2027, 11, 8), utc(2027, 11, 8, 9), "04:00"),
    ],
)
def test_nine_oclock_in_london_stays_nine_across_dst(
    cast: Cast, services: dict[str, ServiceType], monday, first_utc, first_new_york
) -> None:
    slots = first_slots(cast, "tom", monday)
    assert slots, "Tom works on Mondays"
    assert slots[0].starts_at == first_utc
    assert slots[0].starts_at.astimezone(LONDON).strftime("%H:%M") == "09:00"
    # A client in New York sees the same slot in their own time.
    assert slots[0].starts_at.astimezone(NEW_YORK).strftime("%H:%M") == first_new_york
    # 15-minute steps: the last 50-minute slot starts at 16:00 and ends inside the day.
    assert slots[-1].starts_at.astimezone(LONDON).strftime("%H:%M") == "16:00"


def test_therapist_in_new_york_and_client_in_london(
    cast: Cast, services: dict[str, ServiceType]
) -> None:
    theo = cast.users["theo"]
    theo.time_zone = "America/New_York"
    theo.save()
    # Week of 22 March 2027: New York on EDT (UTC-4), London on GMT.
    slots = first_slots(cast, "theo", utc(2027, 3, 22, 4))
    assert slots[0].starts_at == utc(2027, 3, 22, 13)
    assert slots[0].starts_at.astimezone(LONDON).strftime("%H:%M") == "13:00"
    # A week later London is on BST: the same 09:00 New York slot is 14:00 in London.
    slots = first_slots(cast, "theo", utc(2027, 3, 29, 4))
    assert slots[0].starts_at.astimezone(LONDON).strftime("%H:%M") == "14:00"


def _book(cast: Cast, services, key: str, start: datetime, modality=Modality.VIDEO, **kw):
    return appointment_book(
        membership=cast.memberships[key],
        request=BookingRequest(
            client=cast.records["alice"],
            therapist=cast.users["tom"],
            service_type=services["Treatment"],
            modality=modality,
            starts_at=start,
            minutes=kw.pop("minutes", 50),
        ),
        **kw,
    )


def test_booked_time_and_its_buffer_leave_the_open_slots(
    cast: Cast, services: dict[str, ServiceType]
) -> None:
    day = utc(2027, 1, 11)  # a Monday in winter: London = UTC
    _book(cast, services, "tom", utc(2027, 1, 11, 10))
    starts = {s.starts_at for s in first_slots(cast, "tom", day)}
    # 10:00–10:50 booked, 10 minutes' buffer either side: nothing from 09:15 to 11:00.
    assert utc(2027, 1, 11, 9) in starts
    assert not any(utc(2027, 1, 11, 9, 15) <= s < utc(2027, 1, 11, 11) for s in starts)
    assert utc(2027, 1, 11, 11) in starts


def test_continuous_remote_limit_and_daily_video_cap(
    cast: Cast, services: dict[str, ServiceType]
) -> None:
    policy = SchedulingPolicy.objects.get(organisation=cast.organisations["riverside"])
    policy.max_continuous_remote_minutes = 120
    policy.min_break_minutes = 30
    policy.max_daily_video_minutes = 140
    policy.save()
    profile = TherapistProfile.objects.get(membership=cast.memberships["tom"])
    profile.buffer_minutes = 0
    profile.save()
    # 09:00–09:50 and 10:00–10:50: a run of 110 minutes (a 10-minute gap is no break).
    _book(cast, services, "tom", utc(2027, 1, 11, 9))
    _book(cast, services, "tom", utc(2027, 1, 11, 10))
    starts = {s.starts_at for s in first_slots(cast, "tom", utc(2027, 1, 11))}
    assert utc(2027, 1, 11, 11) not in starts, "would run 09:00–11:50 without a break"
    assert utc(2027, 1, 11, 11, 15) not in starts, "a 25-minute gap is still no break"
    # After a 30-minute break, a third video session (100 + 50 minutes) breaks the
    # 140-minute daily video cap…
    assert utc(2027, 1, 11, 11, 30) not in starts
    # …but an audio session then is allowed: the cap is on video.
    audio = {
        s.starts_at for s in first_slots(cast, "tom", utc(2027, 1, 11), modality=Modality.AUDIO)
    }
    assert utc(2027, 1, 11, 11, 30) in audio
    assert utc(2027, 1, 11, 11) not in audio, "the continuous limit applies to audio too"
