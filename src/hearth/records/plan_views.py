"""The therapy plan: the clinician's page for an episode and the client's portal page.

Each page takes its own small forms, told apart by ``action``; the rules are in
``hearth.records.plans``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hearth.accounts.decorators import member_required
from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.governance.audit import audit_record
from hearth.records.forms import CommentForm, GoalForm, PlanForm, RatingForm
from hearth.records.models import Goal, GoalStatus, TherapyPlan
from hearth.records.plans import (
    goal_add,
    goal_rate,
    goal_set_status,
    plan_agree,
    plan_comment,
    plan_write,
)
from hearth.records.selectors import access_episode, episodes_visible_to


def _plan_context(plan: TherapyPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"plan": None, "goals": [], "comments": []}
    goals = list(plan.goals.prefetch_related("ratings"))
    for goal in goals:
        ratings = list(goal.ratings.all())
        goal.latest_rating = ratings[-1] if ratings else None  # type: ignore[attr-defined]
        goal.rating_history = ratings  # type: ignore[attr-defined]
    return {
        "plan": plan,
        "goals": goals,
        "comments": list(plan.comments.select_related("author")),
    }


def _goal_of(plan: TherapyPlan | None, goal_id: Any) -> Goal:
    goal = plan.goals.filter(pk=goal_id).first() if plan is not None else None
    if goal is None:
        raise ValidationError("That goal is not part of this plan.")
    return goal


def _shared_actions(
    request: HttpRequest, membership: Membership, plan: TherapyPlan | None, action: str
) -> str | None:
    """Rating a goal and commenting: open to the client and the clinician alike."""
    if plan is None:
        raise ValidationError("There is no plan yet.")
    if action == "rate":
        form = RatingForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Choose a rating from 0 to 10.")
        goal = _goal_of(plan, form.cleaned_data["goal"])
        goal_rate(membership=membership, goal=goal, rating=form.cleaned_data["rating"])
        return "Progress recorded."
    if action == "comment":
        comment_form = CommentForm(request.POST)
        if not comment_form.is_valid():
            raise ValidationError("Write your comment first.")
        plan_comment(membership=membership, plan=plan, text=comment_form.cleaned_data["text"])
        return "Comment added."
    return None


def _clinician_action(
    request: HttpRequest, membership: Membership, episode: Any, plan: TherapyPlan | None
) -> str:
    action = request.POST.get("action", "")
    done = (
        _shared_actions(request, membership, plan, action)
        if action in {"rate", "comment"}
        else None
    )
    if done is not None:
        return done
    if action == "plan":
        form = PlanForm(request.POST)
        form.is_valid()
        plan_write(membership=membership, episode=episode, approach=form.cleaned_data["approach"])
        return "Plan saved."
    if action == "goal":
        if plan is None:
            plan = plan_write(membership=membership, episode=episode, approach="")
        goal_form = GoalForm(request.POST)
        if not goal_form.is_valid():
            raise ValidationError([str(e) for errors in goal_form.errors.values() for e in errors])
        goal_add(membership=membership, plan=plan, **goal_form.cleaned_data)
        return "Goal added."
    if action == "status":
        goal = _goal_of(plan, request.POST.get("goal"))
        goal_set_status(membership=membership, goal=goal, status=request.POST.get("status", ""))
        return "Goal updated."
    raise ValidationError("Unknown action.")


@member_required(*CLINICIAN_ROLES)
@require_http_methods(["GET", "POST"])
def plan_detail(request: HttpRequest, episode_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    episode = access_episode(membership, episode_id, purpose="plan_view")
    plan = TherapyPlan.objects.filter(episode=episode).first()
    if request.method == "POST":
        try:
            messages.success(request, _clinician_action(request, membership, episode, plan))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("plan_detail", episode_id=episode.pk)
    return render(
        request,
        "records/plan_detail.html",
        {
            "episode": episode,
            "plan_form": PlanForm(initial={"approach": plan.approach if plan else ""}),
            "goal_form": GoalForm(),
            "comment_form": CommentForm(),
            "statuses": GoalStatus.choices,
            "ratings": range(11),
            **_plan_context(plan),
        },
    )


@member_required(Role.CLIENT)
@require_http_methods(["GET", "POST"])
def my_plan(request: HttpRequest) -> HttpResponse:
    """The client's plan for their current episode: read, rate, comment, agree."""
    membership = request.membership  # type: ignore[attr-defined]
    episode = episodes_visible_to(membership).exclude(status="discharged").first()
    plan = TherapyPlan.objects.filter(episode=episode).first() if episode else None
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="therapy_plan.view",
        object_type="therapy_plan",
        object_id=plan.pk if plan else "",
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "agree" and plan is not None:
                plan_agree(membership=membership, plan=plan)
                messages.success(request, "Thank you: your agreement is recorded.")
            else:
                done = _shared_actions(request, membership, plan, action)
                if done is None:
                    raise ValidationError("Unknown action.")
                messages.success(request, done)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("my_plan")
    return render(
        request,
        "records/my_plan.html",
        {
            "episode": episode,
            "comment_form": CommentForm(),
            "ratings": range(11),
            **_plan_context(plan),
        },
    )
