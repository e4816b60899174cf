from __future__ import annotations

from typing import Any

import pytest

from hearth.accounts.personas import Cast
from hearth.safety.details import safety_details_update
from hearth.safety.models import SafetyDetails

ALICE_DETAILS: dict[str, Any] = {
    "home_address": "12 Mill Lane\nRiverside RS1 2AB",
    "country": "GB",
    "region": "ENG",
    "callback_phone": "0161 496 0123",
    "emergency_contact_name": "Bea Ashworth",
    "emergency_contact_relation": "sister",
    "emergency_contact_phone": "0113 496 0456",
    "emergency_contact_consent": True,
}


@pytest.fixture
def alice_details(cast: Cast) -> SafetyDetails:
    return safety_details_update(
        membership=cast.memberships["alice"], record=cast.records["alice"], **ALICE_DETAILS
    )


def shift_now(cast: Cast, persona: str, position: int = 1, hours: int = 4) -> Any:
    """``persona`` on duty from an hour ago for ``hours`` hours, at ``position``."""
    from datetime import timedelta

    from django.utils import timezone

    from hearth.safety.escalation import duty_shift_add

    now = timezone.now()
    return duty_shift_add(
        membership=cast.memberships["ada"],
        clinician=cast.memberships[persona],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=hours),
        position=position,
    )
