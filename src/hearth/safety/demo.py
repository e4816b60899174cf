"""Safety data for the demo practice: Alice's contacts, safety plan and suitability, and
a duty rota for Riverside. Idempotent: running it again changes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.safety.details import safety_details_update, safety_plan_save
from hearth.safety.escalation import duty_shift_add
from hearth.safety.models import DutyShift, SafetyDetails, SafetyPlanVersion, SuitabilityAssessment
from hearth.safety.suitability import suitability_assess

# Ofcom's numbers reserved for drama: they reach nobody.
ALICE_DETAILS = {
    "home_address": "12 Mill Lane\nRiverside\nRS1 2AB",
    "country": "GB",
    "region": "ENG",
    "callback_phone": "0161 496 0123",
    "emergency_contact_name": "Bea Ashworth",
    "emergency_contact_relation": "Sister",
    "emergency_contact_phone": "0113 496 0456",
    "emergency_contact_consent": True,
    "professionals": "GP: Dr Patel, Riverside Surgery, 0161 496 0999",
}
ALICE_PLAN = {
    "warning_signs": "Not sleeping; staying in bed; stopping replying to Bea.",
    "coping_strategies": "A walk by the river; music; a hot shower.",
    "distractions": "The café on Mill Lane; my neighbour Jo.",
    "people_to_ask": "Bea (sister), 0113 496 0456.",
    "professionals": "Tom at Riverside; my GP; NHS 111 option 2; Samaritans 116 123.",
    "safe_environment": "Bea keeps my spare medication.",
}


@transaction.atomic
def safety_demo_ensure(cast: Cast) -> None:
    alice, record = cast.memberships["alice"], cast.records["alice"]
    if not SafetyDetails.objects.filter(client=record).exists():
        safety_details_update(membership=alice, record=record, **ALICE_DETAILS)
    if not SafetyPlanVersion.objects.filter(client=record).exists():
        safety_plan_save(membership=cast.memberships["tom"], record=record, **ALICE_PLAN)
    if not SuitabilityAssessment.objects.filter(client=record).exists():
        suitability_assess(
            membership=cast.memberships["tom"],
            record=record,
            risk_level="low",
            judgements={
                "video": (True, "A private room at home and a good connection."),
                "audio": (True, "As for video."),
                "telephone": (True, "A reliable phone; the fallback if video drops."),
                "messaging": (False, "Prefers to talk; written work tires her."),
                "in_person": (True, "Lives near the Riverside clinic."),
            },
            client_choice="video",
            presentation="Low mood and worry since a change of job.",
            preference="Video in the evenings.",
        )
    riverside = cast.organisations["riverside"]
    if not DutyShift.objects.filter(organisation=riverside).exists():
        zone = ZoneInfo(riverside.time_zone)
        today, now = timezone.localdate(timezone=zone), timezone.now()
        # A week of day shifts, starting today unless today's is already over.
        first = 0 if datetime.combine(today, time(20), tzinfo=zone) > now else 1
        for offset in range(first, first + 7):
            day = today + timedelta(days=offset)
            for persona, position in (("sam", 1), ("theo", 2)):
                duty_shift_add(
                    membership=cast.memberships["ada"],
                    clinician=cast.memberships[persona],
                    starts_at=datetime.combine(day, time(8), tzinfo=zone),
                    ends_at=datetime.combine(day, time(20), tzinfo=zone),
                    position=position,
                )
