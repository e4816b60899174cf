"""Pages of the record of care: episodes and session notes. Thin: rules live in services."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.decorators import member_required
from hearth.accounts.models import CLINICIAN_ROLES, Role
from hearth.clients.selectors import access_client_record, can_read_clinical_text
from hearth.governance.audit import audit_list_read
from hearth.measures.charts import episode_charts
from hearth.measures.selectors import next_session_measures
from hearth.records.forms import (
    AddendumForm,
    ClinicalPolicyForm,
    DischargeForm,
    EpisodeForm,
    NoteSectionsForm,
    NoteStartForm,
)
from hearth.records.models import Episode, SessionNote
from hearth.records.selectors import (
    access_episode,
    access_note,
    author_membership,
    clinical_policy_of,
    notes_visible_to,
    supervisor_of,
)
from hearth.records.services import (
    clinical_policy_update,
    episode_discharge,
    episode_open,
    episode_start_treatment,
    note_add_addendum,
    note_cosign,
    note_create,
    note_save_draft,
    note_sign,
)
from hearth.scheduling.models import CANCELLED

STAFF_WITH_RECORDS = (Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)
CLINICIANS = tuple(CLINICIAN_ROLES)


def _zone(request: HttpRequest) -> ZoneInfo:
    return ZoneInfo(request.user.time_zone)  # type: ignore[union-attr]


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@member_required(*STAFF_WITH_RECORDS)
def episode_list(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    record = access_client_record(membership, record_id, purpose="episodes_view")
    episodes = list(Episode.objects.filter(client=record))
    audit_list_read(membership, object_type="episode", count=len(episodes))
    return render(request, "records/episode_list.html", {"record": record, "episodes": episodes})


@member_required(*STAFF_WITH_RECORDS)
@require_http_methods(["GET", "POST"])
def episode_create(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    record = access_client_record(membership, record_id, purpose="episode_open_view")
    clinical = can_read_clinical_text(membership, record)
    form = EpisodeForm(
        request.POST or None,
        initial={"referral_date": timezone.localdate()},
        clinical_text=clinical,
    )
    if request.method == "POST" and form.is_valid():
        try:
            episode = episode_open(membership=membership, client=record, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, "Episode opened.")
            return redirect("episode_detail", episode_id=episode.pk)
    return render(request, "records/episode_form.html", {"record": record, "form": form})


@member_required(*STAFF_WITH_RECORDS)
def episode_detail(request: HttpRequest, episode_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    episode = access_episode(membership, episode_id)
    clinical = can_read_clinical_text(membership, episode.client)
    context: dict[str, Any] = {
        "episode": episode,
        "record": episode.client,
        "clinical_text": clinical,
        "discharge_form": DischargeForm(initial={"discharge_date": timezone.localdate()}),
        "is_clinician": membership.role in CLINICIAN_ROLES,
        "zone": _zone(request),
    }
    if clinical:
        notes = list(notes_visible_to(membership).filter(episode=episode).select_related("author"))
        audit_list_read(membership, object_type="session_note", count=len(notes))
        charts = episode_charts(episode, zone=_zone(request))
        audit_list_read(
            membership,
            object_type="measure_response",
            count=sum(len(c["series"].points) for c in charts),
        )
        context.update(
            {
                "notes": notes,
                "charts": charts,
                "next_session": next_session_measures(episode.client) if episode.is_open else None,
            }
        )
    return render(request, "records/episode_detail.html", context)


@member_required(*CLINICIANS)
@require_POST
def episode_status(request: HttpRequest, episode_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    episode = access_episode(membership, episode_id, purpose="status_view")
    try:
        if request.POST.get("action") == "treatment":
            episode_start_treatment(membership=membership, episode=episode)
            messages.success(request, "Treatment started.")
        else:
            form = DischargeForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose a reason and a valid date of discharge.")
            episode_discharge(membership=membership, episode=episode, **form.cleaned_data)
            messages.success(request, "Discharged.")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("episode_detail", episode_id=episode.pk)


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def note_start(request: HttpRequest, episode_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    episode = access_episode(membership, episode_id, purpose="note_start_view")
    appointments = (
        episode.client.appointments.exclude(status__in=CANCELLED)
        .filter(starts_at__lte=timezone.now())
        .select_related("service_type")
        .order_by("-starts_at")
    )
    form = NoteStartForm(request.POST or None, appointments=appointments, zone=_zone(request))
    if request.method == "POST" and form.is_valid():
        try:
            note = note_create(membership=membership, episode=episode, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            return redirect("note_detail", note_id=note.pk)
    return render(request, "records/note_start.html", {"episode": episode, "form": form})


def _note_context(request: HttpRequest, note: SessionNote, **extra: Any) -> dict[str, Any]:
    membership = request.membership  # type: ignore[attr-defined]
    writer = author_membership(note)
    supervisor = supervisor_of(writer) if writer is not None else None
    return {
        "note": note,
        "episode": note.episode,
        "is_author": note.author_id == membership.user_id,
        "can_cosign": note.awaiting_cosignature
        and supervisor is not None
        and supervisor.pk == membership.pk,
        "addenda": list(note.addenda.select_related("author")),
        "addendum_form": AddendumForm(),
        "zone": _zone(request),
        **extra,
    }


@member_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    note = access_note(
        membership, note_id, purpose="edit_view" if request.method == "POST" else "view"
    )
    editing = not note.is_locked and note.author_id == membership.user_id
    form = None
    if editing:
        form = NoteSectionsForm(request.POST or None, template=note.template, initial=note.sections)
        if request.method == "POST" and form.is_valid():
            signing = request.POST.get("action") == "sign"
            try:
                if signing:
                    note_sign(membership=membership, note=note, sections=form.cleaned_data)
                else:
                    note_save_draft(membership=membership, note=note, sections=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, "Signed and locked." if signing else "Draft saved.")
                return redirect("note_detail", note_id=note.pk)
    elif request.method == "POST":
        messages.error(request, "This note is signed and locked: add an addendum instead.")
        return redirect("note_detail", note_id=note.pk)
    return render(request, "records/note_detail.html", _note_context(request, note, form=form))


@member_required(*CLINICIANS)
@require_POST
def note_autosave(request: HttpRequest, note_id: int) -> HttpResponse:
    """htmx: save the draft as it is typed; answer with a short status line."""
    membership = request.membership  # type: ignore[attr-defined]
    note = access_note(membership, note_id, purpose="autosave")
    form = NoteSectionsForm(request.POST, template=note.template)
    if not form.is_valid():
        return render(request, "records/_autosave.html", {"error": "Not saved."}, status=400)
    try:
        note = note_save_draft(membership=membership, note=note, sections=form.cleaned_data)
    except ValidationError as exc:
        return render(request, "records/_autosave.html", {"error": _errors(exc)}, status=409)
    return render(
        request,
        "records/_autosave.html",
        {"saved_at": note.saved_at.astimezone(_zone(request))},
    )


@member_required(*CLINICIANS)
@require_POST
def note_cosign_view(request: HttpRequest, note_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    note = access_note(membership, note_id, purpose="cosign_view")
    try:
        note_cosign(membership=membership, note=note)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Co-signed.")
    return redirect("note_detail", note_id=note.pk)


@member_required(*CLINICIANS)
@require_POST
def note_addendum(request: HttpRequest, note_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    note = access_note(membership, note_id, purpose="addendum_view")
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            note_add_addendum(membership=membership, note=note, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, "Addendum added.")
            return redirect("note_detail", note_id=note.pk)
    return render(
        request,
        "records/note_detail.html",
        _note_context(request, note, form=None, addendum_form=form),
        status=400,
    )


@member_required(Role.CLIENT)
def my_notes(request: HttpRequest) -> HttpResponse:
    """A client's signed session notes, when their organisation shares them."""
    membership = request.membership  # type: ignore[attr-defined]
    shared = clinical_policy_of(membership.organisation_id).share_notes_with_clients
    if not shared:
        raise Http404("Session notes are not shared.")
    notes = list(notes_visible_to(membership).select_related("author").prefetch_related("addenda"))
    audit_list_read(membership, object_type="session_note", count=len(notes))
    return render(request, "records/my_notes.html", {"notes": notes, "zone": _zone(request)})


@member_required(Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def clinical_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    policy = clinical_policy_of(membership.organisation_id)
    form = ClinicalPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        clinical_policy_update(
            membership=membership,
            **{name: form.cleaned_data[name] for name in ClinicalPolicyForm.Meta.fields},
        )
        messages.success(request, "Saved.")
        return redirect("clinical_settings")
    return render(request, "records/settings.html", {"form": form})
