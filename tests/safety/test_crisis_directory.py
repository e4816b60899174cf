"""The crisis directory: seeded into every organisation, looked up by place, edited by
service admins only, with a clear error for every bad entry."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hearth.accounts.models import Organisation
from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.safety.directory import (
    crisis_directory_seed,
    crisis_numbers_for,
    crisis_service_delete,
    crisis_service_save,
)
from hearth.safety.models import CrisisService
from hearth.safety.seed import CRISIS_SEED

GOOD = {
    "country": "GB",
    "region": "ENG",
    "name": "Riverside crisis team",
    "number": "0161 496 0000",
    "kind": "urgent_mental_health",
    "hours": "24 hours, every day",
    "source_url": "https://riverside.example.org/crisis",
    "notes": "",
}


def numbers(org: Organisation, country: str, region: str = "") -> list[str]:
    return [f"{e.name}={e.number}" for e in crisis_numbers_for(org, country, region)]


def test_every_organisation_starts_with_the_seed_each_entry_sourced(cast: Cast) -> None:
    for org in cast.organisations.values():
        entries = CrisisService.objects.filter(organisation=org)
        assert entries.count() == len(CRISIS_SEED)
        assert all(e.source_url.startswith("https://") for e in entries)
    new = Organisation.objects.create(name="Hillside", slug="hillside")
    assert CrisisService.objects.filter(organisation=new).count() == len(CRISIS_SEED)
    assert crisis_directory_seed(organisation=new) == 0  # idempotent
    assert CrisisService.objects.filter(organisation=new).count() == len(CRISIS_SEED)
    assert AuditEvent.objects.filter(
        action="crisis_directory.seed", organisation_id=new.pk
    ).exists()


def test_the_seed_covers_the_six_places(cast: Cast) -> None:
    org = cast.organisations["riverside"]
    england = numbers(org, "GB", "ENG")
    assert england[0] == "Emergency services=999"  # emergency first
    assert "NHS 111, option 2 (urgent mental health)=111" in england
    assert "Samaritans=116 123" in england and "Shout=85258" in england
    assert not any(n.startswith("Breathing Space") for n in england)
    scotland = numbers(org, "GB", "SCT")
    assert "Breathing Space=0800 83 85 87" in scotland
    assert not any("option 2" in n for n in scotland)
    assert any(n.startswith("NHS 111 Wales") for n in numbers(org, "GB", "WLS"))
    assert "Lifeline=0808 808 8000" in numbers(org, "GB", "NIR")
    ireland = numbers(org, "IE")
    assert ireland[0] == "Emergency services=112" and "50808=50808" in ireland
    us = numbers(org, "US", "NY")
    assert us[0] == "Emergency services=911"
    assert "988 Suicide & Crisis Lifeline=988" in us


def test_no_country_means_the_organisations_own(cast: Cast) -> None:
    org = cast.organisations["riverside"]
    assert numbers(org, "") == numbers(org, "GB")
    assert "Emergency services=999" in numbers(org, "")


def test_admin_adds_changes_and_removes_an_entry_audited(cast: Cast) -> None:
    ada, org = cast.memberships["ada"], cast.organisations["riverside"]
    entry = crisis_service_save(membership=ada, **GOOD)
    assert "Riverside crisis team=0161 496 0000" in numbers(org, "GB", "ENG")
    assert "Riverside crisis team=0161 496 0000" not in numbers(org, "GB", "SCT")
    assert "Riverside crisis team=0161 496 0000" not in numbers(
        cast.organisations["northgate"], "GB", "ENG"
    )
    crisis_service_save(membership=ada, entry=entry, **{**GOOD, "hours": "9am to 5pm"})
    entry.refresh_from_db()
    assert entry.hours == "9am to 5pm"
    event = AuditEvent.objects.filter(action="crisis_service.update").latest("seq")
    assert event.changes == {"hours": ["24 hours, every day", "9am to 5pm"]}
    crisis_service_delete(membership=ada, entry=entry)
    assert not CrisisService.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.filter(action="crisis_service.delete").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"country": "FR"}, "country", "Unknown country 'FR'"),
        ({"region": "XYZ"}, "region", "not a region of United Kingdom"),
        ({"country": "IE", "region": "ENG"}, "region", "not a region of Republic of Ireland"),
        ({"number": "call us"}, "number", "not a number a phone can dial"),
        ({"number": ""}, "number", "not a number a phone can dial"),
        ({"source_url": "http://example.org/"}, "source_url", "https address"),
        ({"name": "  "}, "name", "Give a name"),
        ({"hours": ""}, "hours", "Give the hours"),
        ({"kind": "pizza"}, "kind", "Unknown kind"),
    ],
)
def test_bad_entries_are_refused_and_change_nothing(
    cast: Cast, change: dict[str, Any], field: str, message: str
) -> None:
    before = CrisisService.objects.count()
    with pytest.raises(ValidationError) as caught:
        crisis_service_save(membership=cast.memberships["ada"], **{**GOOD, **change})
    assert message in " ".join(caught.value.message_dict[field])
    assert CrisisService.objects.count() == before


def test_only_service_admins_edit(cast: Cast) -> None:
    entry = CrisisService.objects.filter(organisation=cast.organisations["riverside"]).first()
    assert entry is not None
    for persona in ("tom", "sam", "alice", "cora"):
        with pytest.raises(PermissionDenied):
            crisis_service_save(membership=cast.memberships[persona], **GOOD)
        with pytest.raises(PermissionDenied):
            crisis_service_delete(membership=cast.memberships[persona], entry=entry)
    # Another organisation's admin powers stop at its own directory.
    northgate_entry = CrisisService.objects.filter(
        organisation=cast.organisations["northgate"]
    ).first()
    assert northgate_entry is not None
    with pytest.raises(PermissionDenied):
        crisis_service_delete(membership=cast.memberships["ada"], entry=northgate_entry)


def test_directory_page_edits_for_admins_and_reads_for_clinicians(cast: Cast, as_persona) -> None:
    ada = as_persona("ada")
    page = ada.get("/safety/crisis-directory/").content.decode()
    assert "Samaritans" in page and 'name="source_url"' in page
    response = ada.post("/safety/crisis-directory/", {**GOOD, "action": "save"})
    assert response.status_code == 302
    assert CrisisService.objects.filter(name="Riverside crisis team").exists()
    bad = ada.post("/safety/crisis-directory/", {**GOOD, "number": "nope", "action": "save"})
    assert bad.status_code == 200
    assert "not a number a phone can dial" in bad.content.decode()
    tom = as_persona("tom")
    page = tom.get("/safety/crisis-directory/").content.decode()
    assert "Samaritans" in page and 'name="source_url"' not in page
    assert tom.post("/safety/crisis-directory/", {**GOOD, "action": "save"}).status_code == 403
    assert CrisisService.objects.filter(name="Riverside crisis team").count() == 1
