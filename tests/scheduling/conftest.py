from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearth.accounts.personas import Cast
from hearth.scheduling.demo import demo_session_soon, schedules_ensure
from hearth.scheduling.models import (
    Appointment,
    ServiceType,
)


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
