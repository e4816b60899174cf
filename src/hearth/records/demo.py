"""Demo clinical record: Alice's episode with Tom, a few weeks of measures and a signed
note, so that the demo shows charts and a locked note. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hearth.records.models import Episode, ReferralSource, SessionNote
from hearth.records.plans import goal_add, goal_rate, plan_write
from hearth.records.services import (
    episode_open,
    episode_start_treatment,
    note_cosign,
    note_create,
    note_sign,
)

# Weekly PHQ-9 and GAD-7 answers, oldest first: an improving course.
DEMO_MEASURES = [
    ("PHQ-9", [2, 2, 3, 2, 1, 2, 2, 1, 0]),
    ("GAD-7", [2, 2, 2, 2, 1, 2, 1]),
    ("PHQ-9", [2, 2, 2, 2, 1, 1, 1, 1, 0]),
    ("GAD-7", [2, 2, 1, 1, 1, 1, 1]),
    ("PHQ-9", [1, 1, 1, 1, 1, 1, 1, 0, 0]),
    ("GAD-7", [1, 1, 1, 1, 0, 1, 1]),
    ("PHQ-9", [1, 1, 1, 1, 0, 0, 1, 0, 0]),
    ("GAD-7", [1, 1, 1, 0, 0, 1, 0]),
]


@dataclass
class ClinicalDemo:
    episode: Episode
    note: SessionNote


@transaction.atomic
def clinical_demo_ensure(cast: Any) -> ClinicalDemo:
    from hearth.measures.models import MeasureResponse
    from hearth.measures.services import measure_record

    record = cast.records["alice"]
    tom = cast.memberships["tom"]
    existing = Episode.objects.filter(client=record).first()
    if existing is not None:
        note = SessionNote.objects.filter(episode=existing).first()
        if note is not None:
            return ClinicalDemo(existing, note)
    now = timezone.now()
    episode = existing or episode_open(
        membership=tom,
        client=record,
        referral_source=ReferralSource.GP,
        referral_date=(now - timedelta(weeks=5)).date(),
        presenting_problem="Low mood and worry after a change of job; poor sleep.",
    )
    if episode.status == "assessment":
        episode = episode_start_treatment(membership=tom, episode=episode)
    for index, (code, answers) in enumerate(DEMO_MEASURES):
        response = measure_record(membership=tom, client=record, code=code, answers=answers)
        weeks_ago = len(DEMO_MEASURES) // 2 - index // 2
        # Seed history: spread the answers over the past weeks, one pair a week.
        MeasureResponse.objects.filter(pk=response.pk).update(
            completed_at=now - timedelta(weeks=weeks_ago, minutes=index % 2)
        )
    note = note_create(
        membership=tom,
        episode=episode,
        template="soap",
        session_at=now - timedelta(hours=3),
    )
    note = note_sign(
        membership=tom,
        note=note,
        sections={
            "subjective": "Sleeping better; worry about work meetings eased.",
            "objective": "Engaged, brighter affect. PHQ-9 and GAD-7 both down since last week.",
            "assessment": "Good progress with behavioural activation and worry time.",
            "plan": "Continue worry time; review relapse-prevention plan next session.",
        },
    )
    note_cosign(membership=cast.memberships["sam"], note=note)
    plan = plan_write(
        membership=tom,
        episode=episode,
        approach="Behavioural activation for low mood, then worry time and relapse prevention.",
    )
    walking = goal_add(
        membership=tom,
        plan=plan,
        description="Walk for 20 minutes on at least 4 days a week.",
        target_date=(now + timedelta(weeks=4)).date(),
    )
    goal_add(
        membership=tom,
        plan=plan,
        description="Go to the Thursday team meeting without calling in sick.",
        target_date=(now + timedelta(weeks=6)).date(),
    )
    for rating in (2, 5):
        goal_rate(membership=tom, goal=walking, rating=rating)
    return ClinicalDemo(episode, note)
