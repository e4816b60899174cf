from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearth.accounts.personas import Cast
from hearth.scheduling.demo import schedules_ensure
from hearth.scheduling.models import ServiceType


@pytest.fixture
def services(cast: Cast) -> dict[str, ServiceType]:
    services = schedules_ensure(cast.organisations["riverside"])
    schedules_ensure(cast.organisations["northgate"])
    return services


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
