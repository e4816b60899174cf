"""The crisis directory: each organisation's own copy, edited by its service admins.

Public interface:
- ``crisis_numbers_for(organisation, country, region)``: the services for a place,
  emergency first (read; not clinical, so not audited).
- ``crisis_directory_seed(organisation=...)``: copy the seed into an organisation that
  has no directory yet (idempotent); runs for every new organisation.
- ``crisis_service_save`` / ``crisis_service_delete``: a service admin's edits, audited.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q

from hearth.accounts.models import Membership, Organisation, Role
from hearth.governance.audit import audit_record
from hearth.safety.models import CRISIS_KIND_ORDER, CrisisKind, CrisisService
from hearth.safety.regions import place_check
from hearth.safety.seed import CRISIS_SEED

# Short codes (999, 116 123, 85258) are not ordinary phone numbers, so the directory
# checks only that a number is something a phone can dial.
DIALABLE = re.compile(r"\+?[0-9][0-9 ()-]{1,23}")
FIELDS = ("country", "region", "name", "number", "kind", "hours", "source_url", "notes")


def crisis_numbers_for(
    organisation: Organisation | int, country: str = "", region: str = ""
) -> list[CrisisService]:
    """The organisation's services for a place: the whole country's and the region's,
    emergency numbers first. No country: the organisation's own."""
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    if not country:
        country = Organisation.objects.values_list("country", flat=True).get(pk=org_id)
    entries = CrisisService.objects.filter(organisation_id=org_id, country=country.upper())
    entries = entries.filter(Q(region="") | Q(region=region.upper()) if region else Q(region=""))
    return sorted(
        entries,
        key=lambda e: (CRISIS_KIND_ORDER.index(e.kind), e.region == "", e.name),
    )


def crisis_directory_of(organisation_id: int) -> list[CrisisService]:
    return list(CrisisService.objects.filter(organisation_id=organisation_id))


@transaction.atomic
def crisis_directory_seed(*, organisation: Organisation) -> int:
    """Copy the seed directory into an organisation without one; return how many."""
    if CrisisService.objects.filter(organisation=organisation).exists():
        return 0
    CrisisService.objects.bulk_create(
        CrisisService(organisation=organisation, **entry) for entry in CRISIS_SEED
    )
    audit_record(
        actor=None,
        organisation_id=organisation.pk,
        action="crisis_directory.seed",
        object_type="organisation",
        object_id=organisation.pk,
        changes={"entries": len(CRISIS_SEED)},
    )
    return len(CRISIS_SEED)


def organisation_created(sender: Any, instance: Organisation, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        crisis_directory_seed(organisation=instance)


def _admin(membership: Membership) -> None:
    if membership.role != Role.SERVICE_ADMIN:
        raise PermissionDenied("Only service admins change the crisis directory.")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    clean = {name: str(values.get(name, "") or "").strip() for name in FIELDS}
    clean["country"], clean["region"] = place_check(clean["country"], clean["region"])
    for name, label in (("name", "a name"), ("hours", "the hours it is open")):
        if not clean[name]:
            raise ValidationError({name: f"Give {label}."})
    if not DIALABLE.fullmatch(clean["number"]):
        raise ValidationError({"number": f"{clean['number']!r} is not a number a phone can dial."})
    if clean["kind"] not in CrisisKind.values:
        raise ValidationError({"kind": f"Unknown kind {clean['kind']!r}."})
    try:
        URLValidator(schemes=["https"])(clean["source_url"])
    except ValidationError:
        raise ValidationError(
            {"source_url": "Give the https address of the page this number comes from."}
        ) from None
    return clean


@transaction.atomic
def crisis_service_save(
    *, membership: Membership, entry: CrisisService | None = None, **values: Any
) -> CrisisService:
    """Add an entry (``entry`` None) or change one of the admin's own organisation."""
    _admin(membership)
    clean = _clean(values)
    if entry is None:
        entry = CrisisService(organisation_id=membership.organisation_id)
        old: dict[str, Any] = {}
    else:
        entry = CrisisService.objects.select_for_update().get(
            pk=entry.pk, organisation_id=membership.organisation_id
        )
        old = {name: getattr(entry, name) for name in FIELDS}
    for name, value in clean.items():
        setattr(entry, name, value)
    entry.save()
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="crisis_service.update" if old else "crisis_service.create",
        object_type="crisis_service",
        object_id=entry.pk,
        changes={n: [old.get(n, ""), v] for n, v in clean.items() if old.get(n, "") != v},
    )
    return entry


@transaction.atomic
def crisis_service_delete(*, membership: Membership, entry: CrisisService) -> None:
    _admin(membership)
    if entry.organisation_id != membership.organisation_id:
        raise PermissionDenied("Not an entry of your organisation.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="crisis_service.delete",
        object_type="crisis_service",
        object_id=entry.pk,
        changes={"name": entry.name, "number": entry.number},
    )
    entry.delete()
