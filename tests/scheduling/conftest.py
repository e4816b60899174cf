from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearth.accounts.personas import Cast
from hearth.scheduling.demo import demo_session_soon, schedules_ensure
from hearth.scheduling.models import (
    Appointment,
    Modality,
    ServiceType,
)


@pytest.fixture
def cast(cast: Cast) -> Cast:
    """The cast, with every client's remote delivery judged suitable by their therapist:
    these tests book remote sessions by page and API, where the suitability rule asks for
    a reason otherwise (that rule is tested in tests/safety/test_suitability.py)."""
    from hearth.accounts.personas import CASELOAD
    from hearth.safety.suitability import suitability_assess, suitability_current

    for client, (therapist, _) in CASELOAD.items():
        record = cast.records[client]
        if suitability_current(record) is None:
            suitability_assess(
                membership=cast.memberships[therapist],
                record=record,
                risk_level="low",
                judgements=dict.fromkeys(Modality.values, (True, "Suits this client")),
                client_choice=Modality.VIDEO,
            )
    return cast


@pytest.fixture
def services(cast: Cast) -> dict[str, ServiceType]:
    services = schedules_ensure(cast.organisations["riverside"])
    schedules_ensure(cast.organisations["northgate"])
    return services


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def book_now(cast: Cast, *, modality: str = "video", minutes_ahead: int = 5) -> Appointment:
    """Alice with Tom, starting in a few minutes: the room is open."""
    return demo_session_soon(cast, modality=modality, minutes_ahead=minutes_ahead)  # type: ignore[no-any-return]
