"""Reads of episodes and session notes. ``access_episode`` and ``access_note`` are the
only ways to fetch one; both follow the caseload rules of ``hearth.clients.selectors``.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.accounts.selectors import audit_denied
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.records.models import ClinicalPolicy, Episode, EpisodeStatus, SessionNote

T = TypeVar("T", bound=Model)


def clinical_policy_of(organisation_id: int) -> ClinicalPolicy:
    policy, _ = ClinicalPolicy.objects.get_or_create(organisation_id=organisation_id)
    return policy


def episodes_visible_to(membership: Membership) -> QuerySet[Episode]:
    """Episodes of the client records the membership may see (never across organisations)."""
    return Episode.objects.filter(
        organisation_id=membership.organisation_id,
        client__in=client_records_visible_to(membership),
    )


def open_episode_of(client: ClientRecord) -> Episode | None:
    return Episode.objects.filter(client=client).exclude(status=EpisodeStatus.DISCHARGED).first()


def access_checked(
    objects: QuerySet[T], membership: Membership, object_id: int, *, object_type: str, purpose: str
) -> T:
    """The object with this id among ``objects`` (already narrowed to what the membership
    may see), with the read audited; otherwise the refusal audited and 404."""
    found = objects.filter(pk=object_id).first()
    if found is None:
        audit_denied(membership, object_type=object_type, object_id=object_id)
        raise Http404("Not found.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action=f"{object_type}.{purpose}",
        object_type=object_type,
        object_id=found.pk,
    )
    return found


def access_episode(membership: Membership, episode_id: int, *, purpose: str = "view") -> Episode:
    """Fetch an episode the membership may see and audit the read; otherwise 404."""
    episodes = episodes_visible_to(membership).select_related("client", "client__therapist")
    return access_checked(episodes, membership, episode_id, object_type="episode", purpose=purpose)


def notes_visible_to(membership: Membership) -> QuerySet[SessionNote]:
    """Clinicians: notes of their caseload (drafts only their own). Clients: their own
    signed notes when the organisation shares notes. Admins and commissioners: none."""
    notes = SessionNote.objects.filter(
        organisation_id=membership.organisation_id,
        client__in=client_records_visible_to(membership),
    )
    if membership.role in CLINICIAN_ROLES:
        return notes.filter(Q(signed_at__isnull=False) | Q(author_id=membership.user_id))
    if membership.role == Role.CLIENT:
        if not clinical_policy_of(membership.organisation_id).share_notes_with_clients:
            return notes.none()
        return notes.filter(signed_at__isnull=False)
    return notes.none()


def access_note(membership: Membership, note_id: int, *, purpose: str = "view") -> SessionNote:
    """Fetch a note the membership may read and audit the read; otherwise 404."""
    notes = notes_visible_to(membership).select_related(
        "author", "cosigned_by", "client", "episode", "appointment"
    )
    return access_checked(notes, membership, note_id, object_type="session_note", purpose=purpose)


def supervisor_of(membership: Membership) -> Membership | None:
    """The active supervisor of a clinician's membership, if any."""
    if membership.supervisor_id is None:
        return None
    return Membership.objects.active().filter(pk=membership.supervisor_id).first()


def author_membership(note: SessionNote) -> Membership | None:
    return Membership.objects.filter(
        user_id=note.author_id, organisation_id=note.organisation_id
    ).first()
