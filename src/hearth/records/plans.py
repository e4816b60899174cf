"""Therapy plans and goals: written by the clinician with the client, who sees the plan
in their portal, comments, rates progress on each goal and records agreement.

Keyword-only, atomic, audited (never the text itself); a refusal is a
``ValidationError`` that changes nothing.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.clients.selectors import client_records_visible_to
from hearth.records.models import (
    Episode,
    Goal,
    GoalRating,
    GoalStatus,
    PlanComment,
    TherapyPlan,
)
from hearth.records.services import audit_member_action


def _check_access(membership: Membership, episode: Episode, *, clinician_only: bool) -> None:
    allowed = set(CLINICIAN_ROLES) | (set() if clinician_only else {Role.CLIENT})
    if membership.role not in allowed:
        who = "therapists and supervisors" if clinician_only else "the client and clinicians"
        raise ValidationError(f"Only {who} can do this.")
    if not client_records_visible_to(membership).filter(pk=episode.client_id).exists():
        raise ValidationError("This client is not on your caseload.")


def _locked_plan(plan: TherapyPlan) -> TherapyPlan:
    return TherapyPlan.objects.select_for_update().select_related("episode").get(pk=plan.pk)


def _changed(plan: TherapyPlan, membership: Membership) -> None:
    """The plan says something new: the client's earlier agreement no longer covers it."""
    plan.client_agreed_at = None
    plan.updated_by = membership.user
    plan.save(update_fields=["client_agreed_at", "updated_by", "updated_at"])


@transaction.atomic
def plan_write(*, membership: Membership, episode: Episode, approach: str) -> TherapyPlan:
    """Create or change the plan of an open episode."""
    _check_access(membership, episode, clinician_only=True)
    if not episode.is_open:
        raise ValidationError("This episode is discharged: its plan is closed.")
    plan, created = TherapyPlan.objects.get_or_create(
        episode=episode, defaults={"approach": approach.strip(), "updated_by": membership.user}
    )
    if not created:
        plan = _locked_plan(plan)
        if plan.approach == approach.strip():
            return plan
        plan.approach = approach.strip()
        plan.save(update_fields=["approach"])
        _changed(plan, membership)
    audit_member_action(
        membership,
        "therapy_plan.create" if created else "therapy_plan.update",
        "therapy_plan",
        plan.pk,
        {"field": "approach"},
    )
    return plan


@transaction.atomic
def goal_add(
    *, membership: Membership, plan: TherapyPlan, description: str, target_date: date
) -> Goal:
    _check_access(membership, plan.episode, clinician_only=True)
    plan = _locked_plan(plan)
    if not description.strip():
        raise ValidationError({"description": "Say what the goal is, in a way you can measure."})
    if target_date < timezone.localdate():
        raise ValidationError({"target_date": "The target date cannot be in the past."})
    goal = Goal.objects.create(plan=plan, description=description.strip(), target_date=target_date)
    _changed(plan, membership)
    audit_member_action(
        membership, "therapy_plan.goal_add", "therapy_plan", plan.pk, {"goal_id": goal.pk}
    )
    return goal


@transaction.atomic
def goal_set_status(*, membership: Membership, goal: Goal, status: str) -> Goal:
    _check_access(membership, goal.plan.episode, clinician_only=True)
    if status not in GoalStatus.values:
        raise ValidationError({"status": "Choose achieved, working on it, or no longer a goal."})
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if goal.status != status:
        old, goal.status = goal.status, status
        goal.save(update_fields=["status"])
        audit_member_action(
            membership,
            "therapy_plan.goal_status",
            "therapy_plan",
            goal.plan_id,
            {"goal_id": goal.pk, "status": [old, status]},
        )
    return goal


@transaction.atomic
def goal_rate(*, membership: Membership, goal: Goal, rating: int) -> GoalRating:
    """Rate progress towards a goal, 0 to 10: the client or their clinician."""
    _check_access(membership, goal.plan.episode, clinician_only=False)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 10:
        raise ValidationError(
            {"rating": f"A rating is a whole number from 0 to 10, not {rating!r}."}
        )
    goal = Goal.objects.select_related("plan__episode").get(pk=goal.pk)  # its status now
    if goal.status != GoalStatus.ACTIVE:
        raise ValidationError("Only a goal being worked on is rated.")
    entry = GoalRating.objects.create(
        goal=goal, rating=rating, rated_by=membership.user, rated_at=timezone.now()
    )
    audit_member_action(
        membership, "therapy_plan.goal_rate", "therapy_plan", goal.plan_id, {"goal_id": goal.pk}
    )
    return entry


@transaction.atomic
def plan_comment(*, membership: Membership, plan: TherapyPlan, text: str) -> PlanComment:
    _check_access(membership, plan.episode, clinician_only=False)
    if not text.strip():
        raise ValidationError({"text": "Write your comment first."})
    comment = PlanComment.objects.create(plan=plan, author=membership.user, text=text.strip())
    audit_member_action(
        membership, "therapy_plan.comment", "therapy_plan", plan.pk, {"comment_id": comment.pk}
    )
    return comment


@transaction.atomic
def plan_agree(*, membership: Membership, plan: TherapyPlan) -> TherapyPlan:
    """The client records that they agree to the plan as it stands."""
    if membership.role != Role.CLIENT:
        raise ValidationError("Only the client records their agreement to the plan.")
    _check_access(membership, plan.episode, clinician_only=False)
    plan = _locked_plan(plan)
    if not plan.goals.exists():
        raise ValidationError("The plan has no goals yet: agree to it once it has.")
    if plan.client_agreed_at is not None:
        raise ValidationError("You have already agreed to this plan.")
    plan.client_agreed_at = timezone.now()
    plan.save(update_fields=["client_agreed_at"])
    audit_member_action(membership, "therapy_plan.agree", "therapy_plan", plan.pk)
    return plan
