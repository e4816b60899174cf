from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.records.models import Episode, SessionNote
from hearth.records.services import episode_open, note_create


@pytest.fixture
def episode(cast: Cast) -> Episode:
    """Alice's open episode with Tom, in assessment."""
    return episode_open(
        membership=cast.memberships["tom"],
        client=cast.records["alice"],
        referral_source="gp",
        referral_date=timezone.localdate() - timedelta(days=14),
        presenting_problem="Low mood since a change of job.",
    )


@pytest.fixture
def draft(cast: Cast, episode: Episode) -> SessionNote:
    """Tom's SOAP draft of a session an hour ago."""
    return note_create(
        membership=cast.memberships["tom"],
        episode=episode,
        template="soap",
        session_at=timezone.now() - timedelta(hours=1),
    )
