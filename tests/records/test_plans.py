"""Therapy plans: written with the client, who comments, rates goals and agrees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.records.models import Episode, Goal, GoalRating, PlanComment, TherapyPlan
from hearth.records.plans import (
    goal_add,
    goal_rate,
    goal_set_status,
    plan_agree,
    plan_comment,
    plan_write,
)
from hearth.records.services import episode_discharge

IN_A_MONTH = timezone.localdate() + timedelta(days=30)


@pytest.fixture
def plan(cast: Cast, episode: Episode) -> TherapyPlan:
    return plan_write(
        membership=cast.memberships["tom"], episode=episode, approach="CBT for low mood."
    )


def test_the_client_agrees_and_any_change_asks_again(cast: Cast, plan: TherapyPlan) -> None:
    tom, alice = cast.memberships["tom"], cast.memberships["alice"]
    with pytest.raises(ValidationError, match="no goals yet"):
        plan_agree(membership=alice, plan=plan)
    goal_add(membership=tom, plan=plan, description="Walk 3 times a week", target_date=IN_A_MONTH)
    with pytest.raises(ValidationError, match="Only the client records"):
        plan_agree(membership=tom, plan=plan)
    assert plan_agree(membership=alice, plan=plan).client_agreed_at is not None
    with pytest.raises(ValidationError, match="already agreed"):
        plan_agree(membership=alice, plan=plan)
    goal_add(membership=tom, plan=plan, description="Back to the gym", target_date=IN_A_MONTH)
    assert TherapyPlan.objects.get(pk=plan.pk).client_agreed_at is None
    plan_agree(membership=alice, plan=plan)
    plan_write(membership=tom, episode=plan.episode, approach="CBT, then relapse prevention.")
    assert TherapyPlan.objects.get(pk=plan.pk).client_agreed_at is None
    event = AuditEvent.objects.filter(action="therapy_plan.update").latest("seq")
    assert "CBT" not in str(event.changes)


def test_goals_are_rated_over_time_by_client_and_clinician(cast: Cast, plan: TherapyPlan) -> None:
    tom, alice = cast.memberships["tom"], cast.memberships["alice"]
    goal = goal_add(membership=tom, plan=plan, description="Sleep by 11", target_date=IN_A_MONTH)
    goal_rate(membership=alice, goal=goal, rating=3)
    goal_rate(membership=tom, goal=goal, rating=5)
    assert list(goal.ratings.values_list("rating", flat=True)) == [3, 5]
    for bad in (11, -1, True, "7"):
        with pytest.raises(ValidationError, match="whole number from 0 to 10"):
            goal_rate(membership=alice, goal=goal, rating=bad)  # type: ignore[arg-type]
    goal_set_status(membership=tom, goal=goal, status="achieved")
    with pytest.raises(ValidationError, match="Only a goal being worked on"):
        goal_rate(membership=alice, goal=goal, rating=10)
    assert GoalRating.objects.count() == 2


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("theo", "not on your caseload"),
        ("charlie", "not on your caseload"),
        ("ada", "Only the client and clinicians"),
    ],
)
def test_outsiders_cannot_rate_or_comment(
    cast: Cast, plan: TherapyPlan, persona: str, message: str
) -> None:
    goal = goal_add(
        membership=cast.memberships["tom"], plan=plan, description="x", target_date=IN_A_MONTH
    )
    with pytest.raises(ValidationError, match=message):
        goal_rate(membership=cast.memberships[persona], goal=goal, rating=5)
    with pytest.raises(ValidationError, match=message):
        plan_comment(membership=cast.memberships[persona], plan=plan, text="Hi")
    assert not GoalRating.objects.exists() and not PlanComment.objects.exists()


def test_bad_goals_and_closed_plans_are_refused(cast: Cast, plan: TherapyPlan) -> None:
    tom = cast.memberships["tom"]
    with pytest.raises(ValidationError, match="cannot be in the past"):
        goal_add(
            membership=tom,
            plan=plan,
            description="Late",
            target_date=timezone.localdate() - timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="in a way you can measure"):
        goal_add(membership=tom, plan=plan, description="  ", target_date=IN_A_MONTH)
    with pytest.raises(ValidationError, match="Only therapists and supervisors"):
        goal_add(
            membership=cast.memberships["alice"], plan=plan, description="x", target_date=IN_A_MONTH
        )
    assert not Goal.objects.exists()
    episode_discharge(
        membership=tom,
        episode=plan.episode,
        discharge_reason="completed",
        discharge_date=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="discharged"):
        plan_write(membership=tom, episode=Episode.objects.get(pk=plan.episode_id), approach="x")


def test_the_plan_pages(cast: Cast, as_persona, episode: Episode) -> None:
    tom, alice = as_persona("tom"), as_persona("alice")
    assert "not written a plan yet" in alice.get("/me/plan/").content.decode()
    url = f"/episodes/{episode.pk}/plan/"
    tom.post(url, {"action": "plan", "approach": "Behavioural activation."})
    response = tom.post(
        url,
        {"action": "goal", "description": "Walk daily", "target_date": "2001-01-01"},
        follow=True,
    )
    assert "cannot be in the past" in response.content.decode()
    tom.post(
        url,
        {"action": "goal", "description": "Walk daily", "target_date": IN_A_MONTH.isoformat()},
    )
    goal = Goal.objects.get()
    page = alice.get("/me/plan/").content.decode()
    assert "Behavioural activation." in page and "Walk daily" in page
    alice.post("/me/plan/", {"action": "rate", "goal": goal.pk, "rating": "4"})
    alice.post("/me/plan/", {"action": "comment", "text": "Mornings are hard."})
    response = alice.post("/me/plan/", {"action": "agree"}, follow=True)
    assert "your agreement is recorded" in response.content.decode()
    page = tom.get(url).content.decode()
    assert "Agreed by the client" in page and "Mornings are hard." in page
    assert "latest progress 4/10" in page
    # A goal of another plan cannot be rated through this one.
    response = alice.post("/me/plan/", {"action": "rate", "goal": goal.pk + 99, "rating": "4"})
    assert GoalRating.objects.count() == 1
