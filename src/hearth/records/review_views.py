"""Clinical review pages: the supervisor's monthly sample and each review; the
therapist's reviews to acknowledge."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hearth.accounts.decorators import member_required
from hearth.accounts.models import CLINICIAN_ROLES, Role
from hearth.governance.audit import audit_list_read
from hearth.measures.models import MeasureResponse, SessionFeedback
from hearth.records.models import SessionNote
from hearth.records.reviews import (
    review_acknowledge,
    review_record,
    review_sample_draw,
    reviews_visible_to,
)
from hearth.records.selectors import access_checked


class ReviewForm(forms.Form):
    findings = forms.CharField(widget=forms.Textarea, label="Findings")
    actions = forms.CharField(widget=forms.Textarea, required=False, label="Actions agreed")


def _month(value: str | None) -> date:
    try:
        return date.fromisoformat(f"{value}-01") if value else timezone.now().date().replace(day=1)
    except ValueError:
        return timezone.now().date().replace(day=1)


@member_required(*CLINICIAN_ROLES)
@require_http_methods(["GET", "POST"])
def review_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    month = _month(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST":
        try:
            drawn = review_sample_draw(membership=membership, month=month)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"Drew {len(drawn)} session(s)." if drawn else "The sample is already complete.",
            )
        return redirect(f"{request.path}?month={month:%Y-%m}")
    reviews = list(
        reviews_visible_to(membership)
        .filter(month=month)
        .select_related("therapist", "appointment")
    )
    audit_list_read(membership, object_type="clinical_review", count=len(reviews))
    return render(
        request,
        "records/review_list.html",
        {
            "reviews": reviews,
            "month": month,
            "is_supervisor": membership.role == Role.SUPERVISOR,
        },
    )


@member_required(*CLINICIAN_ROLES)
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    review = access_checked(
        reviews_visible_to(membership).select_related("therapist", "supervisor", "appointment"),
        membership,
        review_id,
        object_type="clinical_review",
        purpose="view",
    )
    form = ReviewForm(
        request.POST or None, initial={"findings": review.findings, "actions": review.actions}
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "acknowledge":
                review_acknowledge(membership=membership, review=review)
                messages.success(request, "Acknowledged.")
                return redirect("review_detail", review_id=review.pk)
            if form.is_valid():
                review_record(membership=membership, review=review, **form.cleaned_data)
                messages.success(request, "Review recorded.")
                return redirect("review_detail", review_id=review.pk)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
    # What the session left in the record: its signed notes, measures and feedback.
    appointment = review.appointment
    notes = list(
        SessionNote.objects.filter(appointment=appointment, signed_at__isnull=False)
        .select_related("author")
        .prefetch_related("addenda")
    )
    audit_list_read(membership, object_type="session_note", count=len(notes))
    measures = list(MeasureResponse.objects.filter(appointment=appointment))
    feedback = SessionFeedback.objects.filter(appointment=appointment).first()
    return render(
        request,
        "records/review_detail.html",
        {
            "review": review,
            "form": form,
            "notes": notes,
            "measures": measures,
            "feedback": feedback,
            "is_supervisor": review.supervisor_id == membership.user_id,
            "is_therapist": review.therapist_id == membership.user_id,
        },
    )
