"""Safety pages. Thin: forms validate the shape, services apply the rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.decorators import member_required
from hearth.accounts.models import Role
from hearth.clients.models import ClientRecord
from hearth.governance.audit import audit_list_read
from hearth.safety.checks import (
    CheckStatus,
    access_check_appointment,
    session_check_confirm,
    session_check_override,
    session_check_status,
    session_check_submit,
)
from hearth.safety.details import safety_details_update, safety_plan_save
from hearth.safety.directory import (
    crisis_directory_of,
    crisis_numbers_for,
    crisis_service_delete,
    crisis_service_save,
)
from hearth.safety.escalation import (
    access_incident,
    disclosures_of,
    duty_shift_add,
    duty_shift_remove,
    escalation_acknowledge,
    escalation_policy_update,
    help_numbers_for,
    help_request_raise,
    incident_action_record,
    incident_close,
    incidents_visible_to,
    on_duty,
    policy_of,
    risk_disclosure_record,
)
from hearth.safety.forms import (
    ActionForm,
    CloseForm,
    CrisisServiceForm,
    DisclosureForm,
    DutyShiftForm,
    EscalationPolicyForm,
    OverrideForm,
    ResolveForm,
    RiskFlagForm,
    SafetyDetailsForm,
    SafetyPlanForm,
    SessionCheckForm,
    SuitabilityForm,
)
from hearth.safety.models import (
    SAFETY_PLAN_SECTIONS,
    CrisisService,
    DutyShift,
    Incident,
    IncidentStep,
    RiskFlag,
    SuitabilityAssessment,
    SuitabilityBookingReason,
)
from hearth.safety.regions import place_label
from hearth.safety.risk import access_risk_flag, risk_flag_raise, risk_flag_resolve
from hearth.safety.selectors import (
    access_client_safety,
    can_read_safety_plan,
    own_record_id,
    safety_details_of,
    safety_plan_current,
    safety_plan_history,
)
from hearth.safety.suitability import (
    suitability_assess,
    suitability_judgements,
    suitability_review_reasons,
    suitability_worklist,
)
from hearth.scheduling.models import Appointment, Modality

CLINICIANS = (Role.THERAPIST, Role.SUPERVISOR)
STAFF = (Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def form_errors_from(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@member_required(*STAFF)
@require_http_methods(["GET", "POST"])
def crisis_directory(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    own = CrisisService.objects.filter(organisation_id=membership.organisation_id)
    editing = own.filter(pk=_int(request.GET.get("entry") or request.POST.get("entry"))).first()
    initial: dict[str, Any] | None = None
    if editing is not None:
        initial = {name: getattr(editing, name) for name in CrisisServiceForm.base_fields}
    form = CrisisServiceForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("action") == "delete" and editing is not None:
            crisis_service_delete(membership=membership, entry=editing)
            messages.success(request, f"Removed {editing.name}.")
            return redirect("crisis_directory")
        if form.is_valid():
            try:
                crisis_service_save(membership=membership, entry=editing, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("crisis_directory")
    entries = crisis_directory_of(membership.organisation_id)
    places: dict[str, list[CrisisService]] = {}
    for entry in entries:
        places.setdefault(place_label(entry.country, entry.region), []).append(entry)
    return render(
        request,
        "safety/crisis_directory.html",
        {
            "places": places,
            "form": form,
            "editing": editing,
            "can_edit": membership.role == Role.SERVICE_ADMIN,
        },
    )


def _safety_page(request: HttpRequest, record: ClientRecord) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    details = safety_details_of(record)
    plan_visible = can_read_safety_plan(membership, record)
    plan = safety_plan_current(record) if plan_visible else None
    action = request.POST.get("action", "")
    details_form = SafetyDetailsForm(
        request.POST if action == "details" else None,
        initial={name: getattr(details, name) for name in SafetyDetailsForm.base_fields},
    )
    plan_form = SafetyPlanForm(
        request.POST if action == "plan" else None,
        initial={name: getattr(plan, name) for name, _, _ in SAFETY_PLAN_SECTIONS}
        if plan
        else None,
    )
    if request.method == "POST":
        form: Form = details_form if action == "details" else plan_form
        if action not in ("details", "plan"):
            raise PermissionDenied("Unknown action.")
        if form.is_valid():
            try:
                if action == "details":
                    safety_details_update(membership=membership, record=record, **form.cleaned_data)
                else:
                    safety_plan_save(membership=membership, record=record, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect(request.path)
    return render(
        request,
        "safety/safety.html",
        {
            "record": record,
            "details": details,
            "own": membership.role == Role.CLIENT,
            "plan": plan,
            "plan_visible": plan_visible,
            "plan_editable": plan_visible and membership.role != Role.SERVICE_ADMIN,
            "history": safety_plan_history(record) if plan_visible else [],
            "details_form": details_form,
            "plan_form": plan_form,
            "crisis_numbers": crisis_numbers_for(
                record.organisation_id, details.country, details.region
            ),
            "place": place_label(details.country or record.organisation.country, details.region),
        },
    )


@member_required(Role.CLIENT)
@require_http_methods(["GET", "POST"])
def my_safety(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    own = own_record_id(membership)
    if own is None:
        raise Http404("No client record yet.")
    purpose = "edit" if request.method == "POST" else "view"
    return _safety_page(request, access_client_safety(membership, own, purpose=purpose))


@member_required(*STAFF)
@require_http_methods(["GET", "POST"])
def client_safety(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    purpose = "edit" if request.method == "POST" else "view"
    return _safety_page(request, access_client_safety(membership, record_id, purpose=purpose))


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _check_initial(status: CheckStatus) -> dict[str, Any]:
    check, details = status.check, status.details
    if check is not None and check.confirmed_by_client_at is not None:
        return {
            "location": check.location,
            "address": check.address if check.location == "other" else "",
            "country": check.country,
            "region": check.region,
            "callback_phone": check.callback_phone,
            "is_private": "yes" if check.is_private else "no",
            "others_present": check.others_present,
            "emergency_contact_correct": "yes" if check.emergency_contact_correct else "no",
        }
    if details is not None:
        return {
            "location": "home" if details.home_address else "",
            "country": details.country,
            "region": details.region,
            "callback_phone": details.callback_phone,
        }
    return {}


@member_required(Role.CLIENT, *CLINICIANS)
@require_http_methods(["GET", "POST"])
def session_check(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The client's form (the therapist's, by telephone): a page, or a fragment for htmx."""
    membership = request.membership  # type: ignore[attr-defined]
    purpose = "submit" if request.method == "POST" else "form"
    appointment, role = access_check_appointment(membership, appointment_id, purpose=purpose)
    if role == "therapist" and appointment.modality != Modality.TELEPHONE:
        raise PermissionDenied("The client completes this check; review it in the waiting room.")
    status = session_check_status(appointment)
    form = SessionCheckForm(request.POST or None, initial=_check_initial(status))
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            session_check_submit(
                membership=membership, appointment=appointment, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            if not _htmx(request):
                messages.success(request, "Thank you. Your therapist will confirm this.")
                return redirect(request.path)
            saved, status = True, session_check_status(appointment)
    context = {
        "appointment": appointment,
        "role": role,
        "form": form,
        "status": status,
        "saved": saved,
        "home_on_file": bool(status.details and status.details.home_address),
    }
    template = "safety/_check_form.html" if _htmx(request) else "safety/check.html"
    return render(request, template, context)


def _review(request: HttpRequest, appointment_id: int, purpose: str) -> tuple[Any, Any]:
    membership = request.membership  # type: ignore[attr-defined]
    appointment, role = access_check_appointment(membership, appointment_id, purpose=purpose)
    if role != "therapist":
        raise PermissionDenied("Only the session's therapist reviews the check.")
    return membership, appointment


def _render_review(
    request: HttpRequest, appointment: Appointment, override_form: OverrideForm | None = None
) -> HttpResponse:
    status = session_check_status(appointment)
    context = {
        "appointment": appointment,
        "status": status,
        "override_form": override_form or OverrideForm(),
        "crisis_numbers": status.crisis_numbers,
        "place": status.location.place if status.location else "",
        "fragment": _htmx(request),
    }
    template = "safety/_check_review.html" if _htmx(request) else "safety/check_review.html"
    return render(request, template, context)


@member_required(*CLINICIANS)
@require_http_methods(["GET"])
def session_check_review(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The therapist's view of the check: for the waiting room and the whole call."""
    _, appointment = _review(request, appointment_id, "review")
    return _render_review(request, appointment)


@member_required(*CLINICIANS)
@require_POST
def session_check_confirm_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    membership, appointment = _review(request, appointment_id, "confirm_request")
    try:
        session_check_confirm(membership=membership, appointment=appointment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if _htmx(request):
        return _render_review(request, appointment)
    return redirect("session_check_review", appointment_id=appointment.pk)


@member_required(*CLINICIANS)
@require_POST
def session_check_override_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    membership, appointment = _review(request, appointment_id, "override_request")
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            session_check_override(
                membership=membership, appointment=appointment, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            if not _htmx(request):
                return redirect("session_check_review", appointment_id=appointment.pk)
            form = OverrideForm()
    if _htmx(request) or form.errors:
        return _render_review(request, appointment, form)
    return redirect("session_check_review", appointment_id=appointment.pk)


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def client_risk(request: HttpRequest, record_id: int) -> HttpResponse:
    """A client's risk flags: raise one, resolve one, see what was."""
    membership = request.membership  # type: ignore[attr-defined]
    purpose = "risk_edit" if request.method == "POST" else "risk_view"
    record = access_client_safety(membership, record_id, purpose=purpose)
    action = request.POST.get("action", "")
    raise_form = RiskFlagForm(request.POST if action == "raise" else None)
    resolve_form = ResolveForm(request.POST if action == "resolve" else None)
    if request.method == "POST":
        try:
            if action == "raise" and raise_form.is_valid():
                risk_flag_raise(
                    organisation=membership.organisation,
                    client=record,
                    raised_by=membership,
                    **raise_form.cleaned_data,
                )
            elif action == "resolve" and resolve_form.is_valid():
                flag = access_risk_flag(membership, resolve_form.cleaned_data["flag"])
                if flag.client_id != record.pk:
                    raise Http404("No such risk flag.")
                risk_flag_resolve(
                    membership=membership, flag=flag, note=resolve_form.cleaned_data["note"]
                )
            elif action not in ("raise", "resolve"):
                raise PermissionDenied("Unknown action.")
            else:
                raise ValidationError("Check the highlighted fields.")
        except ValidationError as exc:
            form_errors_from(raise_form if action == "raise" else resolve_form, exc)
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Saved.")
            return redirect("client_risk", record_id=record.pk)
    flags = list(RiskFlag.objects.filter(client=record).select_related("raised_by", "resolved_by"))
    return render(
        request,
        "safety/risk.html",
        {"record": record, "flags": flags, "raise_form": raise_form, "resolve_form": resolve_form},
    )


# --- Help now, incidents and the duty rota -----------------------------------------


@member_required(Role.CLIENT)
@require_http_methods(["GET", "POST"])
def help_now(request: HttpRequest) -> HttpResponse:
    """ "I need help now": the numbers for where the client is come first, on the same
    page as the button; pressing it alerts their therapist and the duty clinician."""
    membership = request.membership  # type: ignore[attr-defined]
    try:
        place, numbers = help_numbers_for(membership)
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from None
    alerted = False
    if request.method == "POST":
        help_request_raise(membership=membership)
        alerted = True
    return render(
        request,
        "safety/help.html",
        {
            "crisis_numbers": numbers,
            "place": place.label,
            "alerted": alerted,
        },
    )


@member_required(*CLINICIANS)
def incident_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    incidents = list(incidents_visible_to(membership).select_related("client", "acknowledged_by"))
    audit_list_read(membership, object_type="incident", count=len(incidents))
    return render(request, "safety/incident_list.html", {"incidents": incidents})


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    purpose = "update" if request.method == "POST" else "view"
    incident = access_incident(membership, incident_id, purpose=purpose)
    do = request.POST.get("do", "")
    action_form = ActionForm(request.POST if do == "act" else None)
    close_form = CloseForm(request.POST if do == "close" else None)
    if request.method == "POST":
        try:
            if do == "acknowledge":
                escalation_acknowledge(membership=membership, incident=incident)
            elif do == "act" and action_form.is_valid():
                incident_action_record(
                    membership=membership, incident=incident, **action_form.cleaned_data
                )
            elif do == "close" and close_form.is_valid():
                incident_close(membership=membership, incident=incident, **close_form.cleaned_data)
            elif do not in ("acknowledge", "act", "close"):
                raise PermissionDenied("Unknown action.")
            else:
                raise ValidationError("Check the highlighted fields.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Saved.")
            return redirect("incident_detail", incident_id=incident.pk)
    steps = list(incident.steps.select_related("user"))
    alerted = {s.user_id for s in steps if s.kind == IncidentStep.Kind.ALERTED}
    numbers = crisis_numbers_for(incident.organisation_id, incident.country, incident.region)
    return render(
        request,
        "safety/incident_detail.html",
        {
            "incident": incident,
            "steps": steps,
            "may_acknowledge": incident.acknowledged_at is None and membership.user_id in alerted,
            "may_close": membership.role == Role.SUPERVISOR
            and incident.status == Incident.Status.ACKNOWLEDGED,
            "action_form": action_form,
            "close_form": close_form,
            "crisis_numbers": numbers,
            "place": place_label(incident.country, incident.region),
        },
    )


def _in_zone(value: datetime, zone: str) -> datetime:
    """A datetime-local input means wall-clock time where the person is."""
    return timezone.make_aware(value.replace(tzinfo=None), ZoneInfo(zone))


@member_required(*STAFF)
@require_http_methods(["GET", "POST"])
def duty_rota(request: HttpRequest) -> HttpResponse:
    """Who is on duty when. Service admins and supervisors change it; therapists see it."""
    membership = request.membership  # type: ignore[attr-defined]
    org_id = membership.organisation_id
    action = request.POST.get("action", "")
    shift_form = DutyShiftForm(request.POST if action == "add" else None, organisation_id=org_id)
    policy = policy_of(org_id)
    policy_form = EscalationPolicyForm(
        request.POST if action == "policy" else None,
        organisation_id=org_id,
        initial={"ack_minutes": policy.ack_minutes, "service_lead": policy.service_lead},
    )
    if request.method == "POST":
        form: Form = policy_form if action == "policy" else shift_form
        try:
            if action == "add" and shift_form.is_valid():
                data = shift_form.cleaned_data
                duty_shift_add(
                    membership=membership,
                    clinician=data["clinician"],
                    starts_at=_in_zone(data["starts_at"], request.user.time_zone),  # type: ignore[union-attr]
                    ends_at=_in_zone(data["ends_at"], request.user.time_zone),  # type: ignore[union-attr]
                    position=data["position"],
                )
            elif action == "remove":
                shift = DutyShift.objects.filter(
                    organisation_id=org_id, pk=_int(request.POST.get("shift"))
                ).first()
                if shift is None:
                    raise Http404("No such shift.")
                duty_shift_remove(membership=membership, shift=shift)
            elif action == "policy" and policy_form.is_valid():
                escalation_policy_update(membership=membership, **policy_form.cleaned_data)
            elif action not in ("add", "remove", "policy"):
                raise PermissionDenied("Unknown action.")
            else:
                raise ValidationError("Check the highlighted fields.")
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("duty_rota")
    now = timezone.now()
    shifts = DutyShift.objects.filter(
        organisation_id=org_id, ends_at__gt=now, starts_at__lt=now + timedelta(days=14)
    ).select_related("membership__user")
    return render(
        request,
        "safety/rota.html",
        {
            "shifts": shifts,
            "on_duty": list(on_duty(org_id, now)),
            "policy": policy,
            "shift_form": shift_form,
            "policy_form": policy_form,
            "may_edit": membership.role in (Role.SERVICE_ADMIN, Role.SUPERVISOR),
            "may_edit_policy": membership.role == Role.SERVICE_ADMIN,
        },
    )


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def client_suitability(request: HttpRequest, record_id: int) -> HttpResponse:
    """A client's suitability for remote delivery: the current version, its history,
    and a new assessment."""
    membership = request.membership  # type: ignore[attr-defined]
    purpose = "suitability_edit" if request.method == "POST" else "suitability_view"
    record = access_client_safety(membership, record_id, purpose=purpose)
    form = SuitabilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suitability_assess(
                membership=membership,
                record=record,
                risk_level=form.cleaned_data["risk_level"],
                judgements=form.judgements(),
                client_choice=form.cleaned_data["client_choice"],
                review_interval_days=form.cleaned_data["review_interval_days"],
                **form.texts(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("client_suitability", record_id=record.pk)
    versions = list(
        SuitabilityAssessment.objects.filter(client=record).select_related(
            "assessed_by", "choice_recorded_by"
        )
    )
    current = versions[0] if versions else None
    return render(
        request,
        "safety/suitability.html",
        {
            "record": record,
            "current": current,
            "judgements": suitability_judgements(current) if current else {},
            "reasons": suitability_review_reasons(record, current),
            "versions": versions,
            "overrides": SuitabilityBookingReason.objects.filter(appointment__client=record)
            .select_related("appointment", "recorded_by")
            .order_by("-recorded_at")[:20],
            "form": form,
            "modality_labels": dict(Modality.choices),
        },
    )


@member_required(*CLINICIANS)
def suitability_due(request: HttpRequest) -> HttpResponse:
    """The clinician's worklist: clients whose suitability review is due, and why."""
    membership = request.membership  # type: ignore[attr-defined]
    return render(
        request, "safety/suitability_due.html", {"entries": suitability_worklist(membership)}
    )


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def risk_panel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The therapist's risk panel for a session: the client's confirmed location and
    crisis numbers in view, a disclosure with the actions taken, and later actions."""
    membership = request.membership  # type: ignore[attr-defined]
    purpose = "risk_panel_update" if request.method == "POST" else "risk_panel"
    appointment, role = access_check_appointment(membership, appointment_id, purpose=purpose)
    if role != "therapist":
        raise PermissionDenied("The risk panel is the session's therapist's.")
    do = request.POST.get("do", "")
    disclosure_form = DisclosureForm(request.POST if do == "disclose" else None)
    action_form = ActionForm(request.POST if do == "act" else None)
    if request.method == "POST":
        try:
            if do == "disclose" and disclosure_form.is_valid():
                risk_disclosure_record(
                    membership=membership, appointment=appointment, **disclosure_form.cleaned_data
                )
                disclosure_form = DisclosureForm()
            elif do == "act" and action_form.is_valid():
                incident = Incident.objects.filter(
                    appointment=appointment, pk=_int(request.POST.get("incident"))
                ).first()
                if incident is None:
                    raise Http404("No such incident.")
                incident_action_record(
                    membership=membership, incident=incident, **action_form.cleaned_data
                )
                action_form = ActionForm()
            elif do not in ("disclose", "act"):
                raise PermissionDenied("Unknown action.")
            else:
                raise ValidationError("Check the highlighted fields.")
        except ValidationError as exc:
            form_errors_from(disclosure_form if do == "disclose" else action_form, exc)
        else:
            if not _htmx(request):
                return redirect("risk_panel", appointment_id=appointment.pk)
    status = session_check_status(appointment)
    context = {
        "appointment": appointment,
        "status": status,
        "crisis_numbers": status.crisis_numbers,
        "place": status.location.place if status.location else "",
        "disclosures": disclosures_of(appointment),
        "disclosure_form": disclosure_form,
        "action_form": action_form,
    }
    template = "safety/_risk_panel.html" if _htmx(request) else "safety/risk_panel.html"
    return render(request, template, context)
