"""Measures: clients complete them on a phone; clinicians review risk items."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.decorators import member_required
from hearth.accounts.models import CLINICIAN_ROLES, Role
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_list_read
from hearth.measures.charts import episode_charts
from hearth.measures.feedback import (
    feedback_alert_seen,
    feedback_due,
    feedback_give,
    feedback_summaries,
    feedback_visible_to,
    low_alliance_alerts,
)
from hearth.measures.forms import FriendsAndFamilyForm, MeasureForm
from hearth.measures.library import FORMS
from hearth.measures.selectors import access_measure_response, measures_due
from hearth.measures.services import measure_record, measure_risk_review
from hearth.records.models import EpisodeStatus
from hearth.records.selectors import (
    access_checked,
    clinical_policy_of,
    episodes_visible_to,
    open_episode_of,
)
from hearth.scheduling.selectors import access_appointment


def _own_record(request: HttpRequest) -> ClientRecord:
    membership = request.membership  # type: ignore[attr-defined]
    record = client_records_visible_to(membership).first()
    if record is None:
        raise Http404("No client record yet.")
    return record


@member_required(Role.CLIENT)
def my_measures(request: HttpRequest) -> HttpResponse:
    """The questionnaires due before the client's coming sessions."""
    record = _own_record(request)
    due = [
        {"appointment": d.appointment, "forms": [FORMS[code] for code in d.codes]}
        for d in measures_due(record)
    ]
    return render(
        request,
        "measures/my_measures.html",
        {"due": due, "feedback_due": feedback_due(record)},
    )


@member_required(Role.CLIENT)
@require_http_methods(["GET", "POST"])
def measure_complete(request: HttpRequest, appointment_id: int, code: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    measure = FORMS.get(code.upper())
    if measure is None:
        raise Http404("No such questionnaire.")
    appointment = access_appointment(membership, appointment_id, purpose="measures_view")
    due = {d.appointment.pk: d.codes for d in measures_due(appointment.client)}
    if measure.code not in due.get(appointment.pk, []):
        messages.info(request, "That questionnaire is done or not needed for this appointment.")
        return redirect("my_measures")
    form = MeasureForm(request.POST or None, measure=measure)
    if request.method == "POST" and form.is_valid():
        try:
            measure_record(
                membership=membership,
                client=appointment.client,
                code=measure.code,
                answers=form.answers(),
                appointment=appointment,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Thank you: your answers are saved.")
            remaining = [c for c in due[appointment.pk] if c != measure.code]
            if remaining:
                return redirect(
                    "measure_complete",
                    appointment_id=appointment.pk,
                    code=remaining[0].lower(),
                )
            return redirect("my_measures")
    position = due[appointment.pk].index(measure.code) + 1
    return render(
        request,
        "measures/measure_form.html",
        {
            "measure": measure,
            "form": form,
            "appointment": appointment,
            "position": position,
            "count": len(due[appointment.pk]),
        },
    )


@member_required(Role.CLIENT)
def my_progress(request: HttpRequest) -> HttpResponse:
    """The client's own measures over their current (or latest) episode, as charts."""
    membership = request.membership  # type: ignore[attr-defined]
    episodes = list(episodes_visible_to(membership).order_by("-referral_date", "-pk"))
    episode = next((e for e in episodes if e.status != EpisodeStatus.DISCHARGED), None) or (
        episodes[0] if episodes else None
    )
    zone = ZoneInfo(request.user.time_zone)  # type: ignore[union-attr]
    charts = episode_charts(episode, zone=zone) if episode is not None else []
    audit_list_read(
        membership,
        object_type="measure_response",
        count=sum(len(c["series"].points) for c in charts),
    )
    return render(
        request,
        "measures/my_progress.html",
        {
            "episode": episode,
            "charts": charts,
            "client_view": True,
            "notes_shared": clinical_policy_of(membership.organisation_id).share_notes_with_clients,
        },
    )


@member_required(*CLINICIAN_ROLES)
@require_POST
def risk_review(request: HttpRequest, response_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    response = access_measure_response(membership, response_id, purpose="risk_review_view")
    try:
        measure_risk_review(membership=membership, response=response)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Marked as reviewed.")
    return redirect("episode_detail", episode_id=response.episode_id)


@member_required(Role.CLIENT)
@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """After a session: the Session Rating Scale (in an episode) and the FFT question."""
    membership = request.membership  # type: ignore[attr-defined]
    appointment = access_appointment(membership, appointment_id, purpose="feedback_view")
    if appointment.pk not in {a.pk for a in feedback_due(appointment.client)}:
        messages.info(request, "Feedback on that session is given or no longer open.")
        return redirect("my_measures")
    with_srs = open_episode_of(appointment.client) is not None
    data = request.POST or None
    fft = FriendsAndFamilyForm(data)
    srs = MeasureForm(data, measure=FORMS["SRS"], prefix="srs") if with_srs else None
    if request.method == "POST" and fft.is_valid() and (srs is None or srs.is_valid()):
        try:
            feedback_give(
                membership=membership,
                appointment=appointment,
                srs_answers=srs.answers() if srs is not None else None,
                **fft.cleaned_data,
            )
        except ValidationError as exc:
            fft.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Thank you for your feedback.")
            return redirect("my_measures")
    return render(
        request,
        "measures/feedback_form.html",
        {"appointment": appointment, "fft": fft, "srs": srs, "measure": FORMS["SRS"]},
    )


@member_required(*CLINICIAN_ROLES, Role.SERVICE_ADMIN, Role.COMMISSIONER)
def feedback_overview(request: HttpRequest) -> HttpResponse:
    """Clinicians: low-alliance alerts on their (team's) sessions and their own figures.
    Service admins: the service's and each therapist's figures. Commissioners: the
    service's figures only. Figures are counts and averages, never text."""
    membership = request.membership  # type: ignore[attr-defined]
    service, therapists = feedback_summaries(membership.organisation_id)
    alerts: list = []
    if membership.role in CLINICIAN_ROLES:
        alerts = list(low_alliance_alerts(membership))
        audit_list_read(membership, object_type="session_feedback", count=len(alerts))
        names = {
            str(m.therapist) for m in feedback_visible_to(membership).select_related("therapist")
        }
        therapists = [t for t in therapists if t.label in names]
    elif membership.role == Role.COMMISSIONER:
        therapists = []
    return render(
        request,
        "measures/feedback_overview.html",
        {
            "alerts": alerts,
            "service": service if membership.role not in CLINICIAN_ROLES else None,
            "therapists": therapists,
        },
    )


@member_required(*CLINICIAN_ROLES)
@require_POST
def feedback_seen(request: HttpRequest, feedback_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    feedback = access_checked(
        feedback_visible_to(membership),
        membership,
        feedback_id,
        object_type="session_feedback",
        purpose="alert_view",
    )
    try:
        feedback_alert_seen(membership=membership, feedback=feedback)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect("feedback_overview")
