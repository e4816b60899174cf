from __future__ import annotations

import pytest

from hearth.accounts.personas import Cast
from hearth.records.models import Episode
from hearth.scheduling.models import Appointment
from tests.records.conftest import episode  # noqa: F401  (Alice's open episode with Tom)
from tests.scheduling.conftest import book_now


@pytest.fixture
def next_session(cast: Cast, episode: Episode) -> Appointment:  # noqa: F811
    """Alice's session with Tom in two hours: her measures are due."""
    return book_now(cast, minutes_ahead=120)
