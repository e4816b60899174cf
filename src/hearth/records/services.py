"""Writes to the record of care. Keyword-only, atomic, audited in the same transaction.

Each refusal is a ``ValidationError`` saying what was wrong; nothing is changed.
Audit entries name what changed, never the clinical text itself.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.records.models import (
    TEMPLATE_SECTIONS,
    DischargeReason,
    Episode,
    EpisodeAppointment,
    EpisodeStatus,
    NoteAddendum,
    NoteTemplate,
    ReferralSource,
    SessionNote,
)
from hearth.records.selectors import (
    author_membership,
    clinical_policy_of,
    open_episode_of,
    supervisor_of,
)
from hearth.scheduling.models import Appointment

RECORD_KEEPERS = (Role.THERAPIST, Role.SUPERVISOR, Role.SERVICE_ADMIN)


def audit_member_action(
    membership: Membership,
    action: str,
    object_type: str,
    object_id: int,
    changes: dict[str, Any] | None = None,
) -> None:
    """Audit a write to the record of care by this member, in the caller's transaction."""
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes,
    )


def _check_on_caseload(membership: Membership, client: ClientRecord) -> None:
    if not client_records_visible_to(membership).filter(pk=client.pk).exists():
        raise ValidationError("This client is not on your caseload.")


def _check_clinician(membership: Membership, doing: str) -> None:
    if membership.role not in CLINICIAN_ROLES:
        raise ValidationError(f"Only therapists and supervisors {doing}.")


# --- Episodes -------------------------------------------------------------------------


@transaction.atomic
def episode_open(
    *,
    membership: Membership,
    client: ClientRecord,
    referral_source: str,
    referral_date: date,
    presenting_problem: str = "",
) -> Episode:
    """Open an episode of care at referral. A client has at most one open episode."""
    if membership.role not in RECORD_KEEPERS:
        raise ValidationError("Only therapists, supervisors and service admins open episodes.")
    _check_on_caseload(membership, client)
    if membership.role == Role.SERVICE_ADMIN and presenting_problem.strip():
        raise ValidationError({"presenting_problem": "Service admins do not write clinical text."})
    if referral_source not in ReferralSource.values:
        raise ValidationError({"referral_source": "Choose where the referral came from."})
    if referral_date > timezone.localdate():
        raise ValidationError({"referral_date": "The referral date cannot be in the future."})
    # Lock the client's row so two requests cannot both open an episode.
    ClientRecord.objects.select_for_update().filter(pk=client.pk).first()
    current = open_episode_of(client)
    if current is not None:
        raise ValidationError(
            f"{client.display_name} already has an open episode (referred "
            f"{current.referral_date:%d %B %Y}); discharge it before opening another."
        )
    episode = Episode.objects.create(
        organisation_id=client.organisation_id,
        client=client,
        referral_source=referral_source,
        referral_date=referral_date,
        presenting_problem=presenting_problem.strip(),
        opened_by=membership.user,
    )
    audit_member_action(
        membership,
        "episode.open",
        "episode",
        episode.pk,
        {
            "client_record_id": client.pk,
            "referral_source": referral_source,
            "presenting_problem": "written" if episode.presenting_problem else "empty",
        },
    )
    return episode


def _locked_episode(episode: Episode) -> Episode:
    return Episode.objects.select_for_update().get(pk=episode.pk)


@transaction.atomic
def episode_start_treatment(*, membership: Membership, episode: Episode) -> Episode:
    """Move an episode from assessment to treatment."""
    _check_clinician(membership, "start treatment")
    _check_on_caseload(membership, episode.client)
    episode = _locked_episode(episode)
    if episode.status != EpisodeStatus.ASSESSMENT:
        raise ValidationError(
            f"Only an episode in assessment can start treatment; this one is "
            f"{episode.get_status_display().lower()}."
        )
    episode.status = EpisodeStatus.TREATMENT
    episode.save(update_fields=["status"])
    audit_member_action(
        membership, "episode.status", "episode", episode.pk, {"status": ["assessment", "treatment"]}
    )
    return episode


@transaction.atomic
def episode_discharge(
    *, membership: Membership, episode: Episode, discharge_reason: str, discharge_date: date
) -> Episode:
    """Close an episode with a reason and a date."""
    _check_clinician(membership, "discharge clients")
    _check_on_caseload(membership, episode.client)
    episode = _locked_episode(episode)
    if not episode.is_open:
        raise ValidationError("This episode is already discharged.")
    if discharge_reason not in DischargeReason.values:
        raise ValidationError({"discharge_reason": "Choose a reason for discharge."})
    if discharge_date > timezone.localdate():
        raise ValidationError({"discharge_date": "The discharge date cannot be in the future."})
    if discharge_date < episode.referral_date:
        raise ValidationError(
            {"discharge_date": "The discharge date cannot be before the referral date."}
        )
    old = episode.status
    episode.status = EpisodeStatus.DISCHARGED
    episode.discharge_reason, episode.discharge_date = discharge_reason, discharge_date
    episode.save(update_fields=["status", "discharge_reason", "discharge_date"])
    audit_member_action(
        membership,
        "episode.discharge",
        "episode",
        episode.pk,
        {"status": [old, "discharged"], "discharge_reason": discharge_reason},
    )
    return episode


def episode_of_appointment(appointment: Appointment) -> Episode | None:
    """The episode an appointment belongs to; an unlinked appointment joins its client's
    open episode (the first time anything clinical is recorded against it)."""
    link = EpisodeAppointment.objects.filter(appointment=appointment).select_related("episode")
    found = link.first()
    if found is not None:
        return found.episode
    episode = open_episode_of(appointment.client)
    if episode is not None:
        EpisodeAppointment.objects.get_or_create(
            appointment=appointment, defaults={"episode": episode}
        )
    return episode


# --- Session notes --------------------------------------------------------------------


def _locked_note(note: SessionNote) -> SessionNote:
    return SessionNote.objects.select_for_update().select_related("author").get(pk=note.pk)


@transaction.atomic
def note_create(
    *,
    membership: Membership,
    episode: Episode,
    template: str,
    appointment: Appointment | None = None,
    session_at: datetime | None = None,
) -> SessionNote:
    """Start a draft note of a session, from an appointment or a given time."""
    _check_clinician(membership, "write session notes")
    _check_on_caseload(membership, episode.client)
    if template not in NoteTemplate.values:
        raise ValidationError({"template": "Choose a note template."})
    if appointment is not None:
        if appointment.client_id != episode.client_id:
            raise ValidationError({"appointment": "That appointment is not this client's."})
        linked = episode_of_appointment(appointment)
        if linked is not None and linked.pk != episode.pk:
            raise ValidationError({"appointment": "That appointment belongs to another episode."})
        session_at = appointment.starts_at
    if session_at is None:
        raise ValidationError({"session_at": "Say when the session took place."})
    if session_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"session_at": "A note is of a session that has taken place."})
    note = SessionNote.objects.create(
        organisation_id=episode.organisation_id,
        episode=episode,
        client=episode.client,
        appointment=appointment,
        author=membership.user,
        template=template,
        session_at=session_at,
    )
    audit_member_action(
        membership,
        "session_note.create",
        "session_note",
        note.pk,
        {"episode_id": episode.pk, "template": template},
    )
    return note


@transaction.atomic
def note_save_draft(
    *, membership: Membership, note: SessionNote, sections: dict[str, str]
) -> SessionNote:
    """Save a draft's sections (autosave and the Save button both come here)."""
    note = _locked_note(note)
    if note.is_locked:
        raise ValidationError("This note is signed and locked: add an addendum instead.")
    if note.author_id != membership.user_id:
        raise ValidationError(f"Only the note's author, {note.author}, can edit this draft.")
    allowed = {key for key, _ in TEMPLATE_SECTIONS[note.template]}
    unknown = set(sections) - allowed
    if unknown:
        raise ValidationError(f"This template has no section {', '.join(sorted(unknown))}.")
    current = note.sections
    changed = sorted(k for k, v in sections.items() if current.get(k, "") != v)
    if not changed:
        return note
    current.update(sections)
    note.body = json.dumps({key: current.get(key, "") for key in sorted(allowed)})
    note.save(update_fields=["body", "saved_at"])
    audit_member_action(
        membership, "session_note.save_draft", "session_note", note.pk, {"sections": changed}
    )
    return note


@transaction.atomic
def note_sign(
    *, membership: Membership, note: SessionNote, sections: dict[str, str] | None = None
) -> SessionNote:
    """Sign and lock a note. Only its author signs; a late entry is marked as such.

    ``sections``, when given, is the final text: saved and signed in one transaction, so
    what was on the screen is what gets signed."""
    note = _locked_note(note)
    if sections is not None and not note.is_locked and note.author_id == membership.user_id:
        note = note_save_draft(membership=membership, note=note, sections=sections)
    if note.author_id != membership.user_id:
        raise ValidationError(
            f"Only the note's author, {note.author}, can sign it. "
            "To add to a signed note, add an addendum."
        )
    if note.is_locked:
        raise ValidationError("This note is already signed and locked.")
    if not any(text.strip() for text in note.sections.values()):
        raise ValidationError("Write the note before signing it.")
    policy = clinical_policy_of(note.organisation_id)
    now = timezone.now()
    note.signed_at = now
    note.late_entry = now - note.session_at > timedelta(hours=policy.late_entry_hours)
    writer = author_membership(note)
    note.needs_cosignature = bool(
        policy.supervised_notes_need_cosignature
        and writer is not None
        and supervisor_of(writer) is not None
    )
    note.save(update_fields=["signed_at", "late_entry", "needs_cosignature"])
    audit_member_action(
        membership,
        "session_note.sign",
        "session_note",
        note.pk,
        {"late_entry": note.late_entry, "needs_cosignature": note.needs_cosignature},
    )
    return note


@transaction.atomic
def note_cosign(*, membership: Membership, note: SessionNote) -> SessionNote:
    """The author's supervisor co-signs a supervised clinician's signed note."""
    note = _locked_note(note)
    if not note.is_locked:
        raise ValidationError("The author signs the note first; then it can be co-signed.")
    if not note.needs_cosignature:
        raise ValidationError("This note does not need a co-signature.")
    if note.cosigned_at is not None:
        raise ValidationError(f"This note was already co-signed by {note.cosigned_by}.")
    writer = author_membership(note)
    supervisor = supervisor_of(writer) if writer is not None else None
    if supervisor is None or supervisor.pk != membership.pk:
        raise ValidationError(f"Only {note.author}'s supervisor can co-sign this note.")
    note.cosigned_by, note.cosigned_at = membership.user, timezone.now()
    note.save(update_fields=["cosigned_by", "cosigned_at"])
    audit_member_action(membership, "session_note.cosign", "session_note", note.pk)
    return note


@transaction.atomic
def note_add_addendum(*, membership: Membership, note: SessionNote, text: str) -> NoteAddendum:
    """Add a signed, timestamped addendum to a locked note."""
    _check_clinician(membership, "add to session notes")
    _check_on_caseload(membership, note.client)
    note = _locked_note(note)
    if not note.is_locked:
        raise ValidationError("This note is still a draft: edit it instead of adding an addendum.")
    if not text.strip():
        raise ValidationError({"text": "Write the addendum before adding it."})
    addendum = NoteAddendum.objects.create(
        note=note, author=membership.user, text=text.strip(), signed_at=timezone.now()
    )
    audit_member_action(
        membership,
        "session_note.addendum",
        "session_note",
        note.pk,
        {"addendum_id": addendum.pk},
    )
    return addendum


@transaction.atomic
def clinical_policy_update(*, membership: Membership, **changes: Any) -> None:
    """A service admin changes the organisation's clinical-record settings."""
    if membership.role != Role.SERVICE_ADMIN:
        raise ValidationError("Only service admins change these settings.")
    policy = clinical_policy_of(membership.organisation_id)
    diff = {}
    for name, value in changes.items():
        old = getattr(policy, name)
        if old != value:
            setattr(policy, name, value)
            diff[name] = [old, value]
    if diff:
        policy.save()
        audit_member_action(
            membership, "clinical_policy.update", "clinical_policy", policy.pk, diff
        )
