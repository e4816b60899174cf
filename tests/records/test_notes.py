"""Session notes: drafts, sign and lock, addenda, late entries, co-signature, privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.records.models import ClinicalPolicy, Episode, NoteAddendum, SessionNote
from hearth.records.selectors import access_note, notes_visible_to
from hearth.records.services import (
    note_add_addendum,
    note_cosign,
    note_create,
    note_save_draft,
    note_sign,
)

SOAP = {
    "subjective": "Feels flat in the mornings.",
    "objective": "Good eye contact.",
    "assessment": "Mild low mood.",
    "plan": "Activity scheduling.",
}


def _fresh(note: SessionNote) -> SessionNote:
    return SessionNote.objects.get(pk=note.pk)


def test_a_draft_is_saved_encrypted_and_audited_without_its_text(
    cast: Cast, draft: SessionNote
) -> None:
    note_save_draft(membership=cast.memberships["tom"], note=draft, sections=SOAP)
    assert _fresh(draft).sections == SOAP
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM records_sessionnote WHERE id = %s", [draft.pk])
        assert "Feels flat" not in cursor.fetchone()[0]
    event = AuditEvent.objects.filter(action="session_note.save_draft").latest("seq")
    assert event.changes == {"sections": sorted(SOAP)}
    assert "Feels flat" not in str(event.changes)


def test_unknown_sections_are_refused(cast: Cast, draft: SessionNote) -> None:
    with pytest.raises(ValidationError, match="no section behaviour"):
        note_save_draft(membership=cast.memberships["tom"], note=draft, sections={"behaviour": "x"})
    assert _fresh(draft).body == ""


def test_only_the_author_signs_and_a_signed_note_is_locked(cast: Cast, draft: SessionNote) -> None:
    tom, sam = cast.memberships["tom"], cast.memberships["sam"]
    note_save_draft(membership=tom, note=draft, sections=SOAP)
    with pytest.raises(ValidationError, match="Only the note's author, Tom Turner, can sign it"):
        note_sign(membership=sam, note=draft)
    assert _fresh(draft).signed_at is None
    signed = note_sign(membership=tom, note=draft)
    assert signed.is_locked and not signed.late_entry
    before = _fresh(draft).body
    with pytest.raises(ValidationError, match="signed and locked: add an addendum"):
        note_save_draft(membership=tom, note=draft, sections={"plan": "Changed my mind"})
    with pytest.raises(ValidationError, match="already signed"):
        note_sign(membership=tom, note=draft)
    assert _fresh(draft).body == before


def test_an_empty_note_cannot_be_signed(cast: Cast, draft: SessionNote) -> None:
    with pytest.raises(ValidationError, match="Write the note before signing"):
        note_sign(membership=cast.memberships["tom"], note=draft)
    assert not _fresh(draft).is_locked


def test_signing_with_the_final_text_saves_it_in_the_same_step(
    cast: Cast, draft: SessionNote
) -> None:
    note_sign(membership=cast.memberships["tom"], note=draft, sections=SOAP)
    assert _fresh(draft).sections == SOAP and _fresh(draft).is_locked


def test_addenda_only_after_locking_each_signed_and_timestamped(
    cast: Cast, draft: SessionNote
) -> None:
    tom, sam = cast.memberships["tom"], cast.memberships["sam"]
    with pytest.raises(ValidationError, match="still a draft"):
        note_add_addendum(membership=tom, note=draft, text="Too early")
    note_sign(membership=tom, note=draft, sections=SOAP)
    with pytest.raises(ValidationError, match="Write the addendum"):
        note_add_addendum(membership=tom, note=draft, text="   ")
    first = note_add_addendum(membership=tom, note=draft, text="Client rang: plan agreed.")
    second = note_add_addendum(membership=sam, note=draft, text="Reviewed in supervision.")
    assert [a.author_id for a in NoteAddendum.objects.filter(note=draft)] == [
        cast.users["tom"].pk,
        cast.users["sam"].pk,
    ]
    assert first.signed_at <= second.signed_at
    assert _fresh(draft).sections == SOAP  # the note itself never changes
    with pytest.raises(ValidationError, match="not on your caseload"):
        note_add_addendum(membership=cast.memberships["theo"], note=draft, text="Not mine")
    assert NoteAddendum.objects.count() == 2


def test_late_entries_are_marked_by_the_organisation_setting(cast: Cast, episode: Episode) -> None:
    tom = cast.memberships["tom"]
    ClinicalPolicy.objects.update_or_create(
        organisation=cast.organisations["riverside"], defaults={"late_entry_hours": 24}
    )
    on_time = note_create(
        membership=tom,
        episode=episode,
        template="free",
        session_at=timezone.now() - timedelta(hours=23),
    )
    late = note_create(
        membership=tom,
        episode=episode,
        template="free",
        session_at=timezone.now() - timedelta(hours=25),
    )
    assert not note_sign(membership=tom, note=on_time, sections={"text": "Seen."}).late_entry
    assert note_sign(membership=tom, note=late, sections={"text": "Seen."}).late_entry


def test_a_supervised_clinicians_note_needs_the_supervisors_cosignature(
    cast: Cast, draft: SessionNote, episode: Episode
) -> None:
    tom, sam, theo = cast.memberships["tom"], cast.memberships["sam"], cast.memberships["theo"]
    with pytest.raises(ValidationError, match="signs the note first"):
        note_cosign(membership=sam, note=draft)
    note = note_sign(membership=tom, note=draft, sections=SOAP)
    assert note.needs_cosignature and note.awaiting_cosignature  # Sam supervises Tom
    for who in (tom, theo):
        with pytest.raises(ValidationError, match="Only Tom Turner's supervisor can co-sign"):
            note_cosign(membership=who, note=note)
    assert _fresh(note).cosigned_at is None
    note = note_cosign(membership=sam, note=note)
    assert note.cosigned_by == cast.users["sam"] and not note.awaiting_cosignature
    with pytest.raises(ValidationError, match="already co-signed"):
        note_cosign(membership=sam, note=note)
    # Sam has no supervisor: his own notes need none.
    own = note_create(membership=sam, episode=episode, template="free", session_at=timezone.now())
    assert not note_sign(membership=sam, note=own, sections={"text": "Covered."}).needs_cosignature


def test_drafts_are_their_authors_own_and_clients_see_notes_only_when_shared(
    cast: Cast, draft: SessionNote
) -> None:
    tom, sam, alice = cast.memberships["tom"], cast.memberships["sam"], cast.memberships["alice"]
    assert access_note(tom, draft.pk) == draft
    with pytest.raises(Http404):
        access_note(sam, draft.pk)  # a draft is its author's working copy
    note_sign(membership=tom, note=draft, sections=SOAP)
    assert access_note(sam, draft.pk) == draft
    for persona in ("alice", "ada", "theo", "olive", "cora"):
        with pytest.raises(Http404):
            access_note(cast.memberships[persona], draft.pk)
    ClinicalPolicy.objects.update_or_create(
        organisation=cast.organisations["riverside"], defaults={"share_notes_with_clients": True}
    )
    assert access_note(alice, draft.pk) == draft
    assert not notes_visible_to(cast.memberships["charlie"]).exists()
    views = AuditEvent.objects.filter(action="session_note.view", object_id=str(draft.pk))
    assert set(views.values_list("actor_id", flat=True)) == {
        cast.users["tom"].pk,
        cast.users["sam"].pk,
        cast.users["alice"].pk,
    }


def test_a_note_is_of_a_past_session_by_a_clinician(cast: Cast, episode: Episode) -> None:
    tom = cast.memberships["tom"]
    with pytest.raises(ValidationError, match="has taken place"):
        note_create(
            membership=tom,
            episode=episode,
            template="soap",
            session_at=timezone.now() + timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="Choose a note template"):
        note_create(membership=tom, episode=episode, template="poem", session_at=timezone.now())
    with pytest.raises(ValidationError, match="Only therapists and supervisors"):
        note_create(
            membership=cast.memberships["ada"],
            episode=episode,
            template="soap",
            session_at=timezone.now(),
        )
    assert not SessionNote.objects.filter(episode=episode).exists()


def test_the_note_pages_draft_autosave_sign_and_addendum(
    cast: Cast, as_persona, episode: Episode
) -> None:
    tom, sam = as_persona("tom"), as_persona("sam")
    response = tom.post(
        f"/episodes/{episode.pk}/notes/new/",
        {
            "template": "dap",
            "session_at": (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    note = SessionNote.objects.get(episode=episode)
    autosave = f"/notes/{note.pk}/autosave/"
    response = tom.post(autosave, {"data": "Talked about work.", "assessment": "", "plan": ""})
    assert response.status_code == 200 and "Draft saved" in response.content.decode()
    assert _fresh(note).sections["data"] == "Talked about work."
    # Someone else's draft is not even there for them.
    assert sam.post(autosave, {"data": "Mine now"}).status_code == 404
    response = tom.post(
        f"/notes/{note.pk}/",
        {
            "data": "Talked about work.",
            "assessment": "Improving.",
            "plan": "Same",
            "action": "sign",
        },
    )
    assert response.status_code == 302
    assert _fresh(note).is_locked and _fresh(note).sections["assessment"] == "Improving."
    # Locked: autosave and edits are refused with the rule, and change nothing.
    response = tom.post(autosave, {"data": "Rewritten"})
    assert response.status_code == 409 and "add an addendum" in response.content.decode()
    response = tom.post(f"/notes/{note.pk}/", {"data": "Rewritten", "action": "save"}, follow=True)
    assert "add an addendum" in response.content.decode()
    assert _fresh(note).sections["data"] == "Talked about work."
    response = tom.post(f"/notes/{note.pk}/addenda/", {"text": "Phoned: fine."}, follow=True)
    page = response.content.decode()
    assert "Phoned: fine." in page and "Signed by Tom Turner" in page
    assert "Awaiting the supervisor" in page
    assert "Co-sign" in sam.get(f"/notes/{note.pk}/").content.decode()
    sam.post(f"/notes/{note.pk}/cosign/")
    assert _fresh(note).cosigned_by == cast.users["sam"]


def test_clients_read_signed_notes_only_where_the_organisation_shares_them(
    cast: Cast, as_persona, draft: SessionNote
) -> None:
    note_sign(membership=cast.memberships["tom"], note=draft, sections=SOAP)
    alice = as_persona("alice")
    assert alice.get("/me/notes/").status_code == 404
    assert "/me/notes/" not in alice.get("/me/progress/").content.decode()
    as_persona("ada").post(
        "/settings/clinical-record/",
        {
            "share_notes_with_clients": "on",
            "late_entry_hours": "48",
            "supervised_notes_need_cosignature": "on",
            "measures_before_session": ["PHQ-9", "GAD-7"],
            "measures_invite_hours": "48",
            "review_sample_size": "2",
        },
    )
    assert ClinicalPolicy.objects.get().share_notes_with_clients
    assert "/me/notes/" in alice.get("/me/progress/").content.decode()
    page = alice.get("/me/notes/").content.decode()
    assert "Feels flat in the mornings." in page
    assert "Feels flat" not in as_persona("charlie").get("/me/notes/").content.decode()
    assert AuditEvent.objects.filter(action="clinical_policy.update").exists()
