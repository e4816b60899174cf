"""Risk flags on the client record.

Public interface:
- ``risk_flag_raise(organisation=..., client=..., type=..., level=..., source=..., ...)``:
  called by clinicians (``raised_by``) and by other apps without one (measures: PHQ-9
  item 9, CORE-10 item 6), which then reinforce an active flag rather than repeat it
- ``risk_flag_resolve(membership=..., flag=..., note=...)``
- ``active_risk_flags(record)``, ``risk_banner_flags(membership, record)``: for the
  banner on every clinical page of the client
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Organisation
from hearth.accounts.selectors import audit_denied
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.safety.models import RISK_LEVEL_ORDER, RiskFlag, RiskLevel, RiskSource, RiskType

# A flag is reviewed sooner the higher the risk.
REVIEW_DAYS = {RiskLevel.LOW: 28, RiskLevel.MODERATE: 14, RiskLevel.HIGH: 2}


def _clinician_for(membership: Membership, client: ClientRecord) -> None:
    if membership.role not in CLINICIAN_ROLES or not (
        client_records_visible_to(membership).filter(pk=client.pk).exists()
    ):
        raise PermissionDenied("Only the client's clinicians raise or resolve risk flags.")


def _validate(type: str, level: str, source: str, review_due: date | None) -> date:
    if type not in RiskType.values:
        raise ValidationError({"type": f"Unknown risk type {type!r}."})
    if level not in RiskLevel.values:
        raise ValidationError({"level": f"Unknown risk level {level!r}."})
    if source not in RiskSource.values:
        raise ValidationError({"source": f"Unknown source {source!r}."})
    today = timezone.localdate()
    if review_due is None:
        return today + timedelta(days=REVIEW_DAYS[RiskLevel(level)])
    if review_due < today:
        raise ValidationError({"review_due": "The review date is in the past."})
    return review_due


@transaction.atomic
def risk_flag_raise(
    *,
    organisation: Organisation,
    client: ClientRecord,
    type: str,
    level: str,
    source: str,
    source_detail: str = "",
    note: str = "",
    review_due: date | None = None,
    raised_by: Membership | None = None,
) -> RiskFlag:
    """Raise a flag. Without ``raised_by`` (an automatic flag), an active flag of the
    same type and origin is reinforced instead: its level rises if this one is higher
    and its review comes no later than this one's."""
    if client.organisation_id != organisation.pk:
        raise ValidationError({"client": "Choose a client of this organisation."})
    if raised_by is not None:
        if raised_by.organisation_id != organisation.pk:
            raise PermissionDenied("Only the client's clinicians raise or resolve risk flags.")
        _clinician_for(raised_by, client)
    due = _validate(type, level, source, review_due)
    source_detail = source_detail.strip()[:100]
    if raised_by is None:
        existing = (
            RiskFlag.objects.select_for_update()
            .filter(
                client=client,
                status=RiskFlag.Status.ACTIVE,
                type=type,
                source=source,
                source_detail=source_detail,
            )
            .first()
        )
        if existing is not None:
            return _reinforce(existing, level, due)
    flag = RiskFlag.objects.create(
        organisation=organisation,
        client=client,
        type=type,
        level=level,
        source=source,
        source_detail=source_detail,
        note=note.strip(),
        review_due=due,
        raised_by=raised_by.user if raised_by else None,
    )
    audit_record(
        actor=raised_by.user if raised_by else None,
        organisation_id=organisation.pk,
        action="risk_flag.raise",
        object_type="risk_flag",
        object_id=flag.pk,
        changes={"client_id": client.pk, "type": type, "level": level, "source": source},
    )
    return flag


def _reinforce(flag: RiskFlag, level: str, due: date) -> RiskFlag:
    old_level = flag.level
    if RISK_LEVEL_ORDER.index(level) > RISK_LEVEL_ORDER.index(flag.level):
        flag.level = level
    flag.review_due = min(flag.review_due, due)
    flag.save(update_fields=["level", "review_due"])
    audit_record(
        actor=None,
        organisation_id=flag.organisation_id,
        action="risk_flag.reinforce",
        object_type="risk_flag",
        object_id=flag.pk,
        changes={"level": [old_level, flag.level]},
    )
    return flag


@transaction.atomic
def risk_flag_resolve(*, membership: Membership, flag: RiskFlag, note: str) -> RiskFlag:
    _clinician_for(membership, flag.client)
    flag = RiskFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status == RiskFlag.Status.RESOLVED:
        raise ValidationError("This risk flag is already resolved.")
    if not note.strip():
        raise ValidationError({"note": "Say why the risk is resolved."})
    flag.status, flag.resolved_at = RiskFlag.Status.RESOLVED, timezone.now()
    flag.resolved_by, flag.resolution_note = membership.user, note.strip()
    flag.save()
    audit_record(
        actor=membership.user,
        organisation_id=flag.organisation_id,
        action="risk_flag.resolve",
        object_type="risk_flag",
        object_id=flag.pk,
    )
    return flag


def access_risk_flag(membership: Membership, flag_id: int) -> RiskFlag:
    """A flag of a client on the clinician's caseload (or team's); otherwise 404."""
    flag = (
        RiskFlag.objects.select_related("client")
        .filter(pk=flag_id, client__in=client_records_visible_to(membership))
        .first()
    )
    if flag is None or membership.role not in CLINICIAN_ROLES:
        audit_denied(membership, object_type="risk_flag", object_id=flag_id)
        raise Http404("No such risk flag.")
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="risk_flag.view",
        object_type="risk_flag",
        object_id=flag.pk,
    )
    return flag


def active_risk_flags(record: ClientRecord) -> list[RiskFlag]:
    return list(
        RiskFlag.objects.filter(client=record, status=RiskFlag.Status.ACTIVE).order_by("-raised_at")
    )


def risk_banner_flags(membership: Membership | None, record: ClientRecord) -> list[RiskFlag]:
    """The active flags a page about ``record`` shows this viewer: clinicians only (the
    types and levels are clinical; admins and clients do not see the banner). Showing
    them is a clinical read, so it is audited."""
    if membership is None or membership.role not in CLINICIAN_ROLES:
        return []
    if record.organisation_id != membership.organisation_id:
        return []
    flags = active_risk_flags(record)
    if flags:
        audit_record(
            actor=membership.user,
            organisation_id=membership.organisation_id,
            action="risk_flag.list",
            object_type="risk_flag",
            object_id="",
            changes={"client_id": record.pk, "count": len(flags)},
        )
    return flags


# The item that flags, per instrument, and what it is about. Any answer above 0 raises a
# flag for review; the upper half of the answer scale raises it as high.
MEASURE_RISK_TYPES = {"PHQ-9": RiskType.SUICIDE, "CORE-10": RiskType.SUICIDE}


def risk_flags_from_measure(
    *,
    organisation: Organisation,
    client: ClientRecord,
    code: str,
    answers: Sequence[int | float | None],
) -> list[RiskFlag]:
    """Raise (or reinforce) a flag for each risk item answered above 0: PHQ-9 item 9,
    CORE-10 item 6. For the measures app to call when a form is submitted."""
    from hearth.measures.scoring import instrument

    inst = instrument(code)
    flags = []
    for position in sorted(inst.risk_items):
        answer = answers[position - 1] if position <= len(answers) else None
        if answer is None or answer <= 0:
            continue
        level = RiskLevel.HIGH if answer * 2 > inst.high else RiskLevel.MODERATE
        flags.append(
            risk_flag_raise(
                organisation=organisation,
                client=client,
                type=MEASURE_RISK_TYPES.get(inst.code, RiskType.OTHER),
                level=level,
                source=RiskSource.MEASURE,
                source_detail=f"{inst.code} item {position}",
            )
        )
    return flags
