"""Recording measures, and the risk items they raise.

``measure_risk_items(response)`` is the hook for the safety app: it lists the risk
items a response endorsed (PHQ-9 item 9, CORE-10 item 6 above 0). Every response that
endorses one is saved with ``risk_review_needed=True`` until a clinician reviews it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Role
from hearth.clients.models import ClientRecord
from hearth.clients.selectors import client_records_visible_to
from hearth.governance.audit import audit_record
from hearth.measures.library import item_text
from hearth.measures.models import MeasureResponse
from hearth.measures.scoring import instrument, score
from hearth.records.selectors import open_episode_of
from hearth.records.services import episode_of_appointment
from hearth.safety.risk import risk_flags_from_measure
from hearth.scheduling.models import Appointment


@dataclass(frozen=True)
class RiskItem:
    number: int
    text: str
    answer: int | float


def measure_risk_items(response: MeasureResponse) -> list[RiskItem]:
    """The risk items this response endorsed (answer above 0), in item order.

    For the safety app's risk flags: call it on a new response (or any response with
    ``risk_review_needed``) to know which item, what it asks, and the answer given.
    """
    inst = instrument(response.instrument)
    endorsed = []
    for number in sorted(inst.risk_items):
        answer = response.answers[number - 1] if number <= len(response.answers) else None
        if answer is not None and answer > 0:
            endorsed.append(RiskItem(number, item_text(inst.code, number), answer))
    return endorsed


@transaction.atomic
def measure_record(
    *,
    membership: Membership,
    client: ClientRecord,
    code: str,
    answers: Sequence[int | float | None],
    appointment: Appointment | None = None,
) -> MeasureResponse:
    """Score and keep one questionnaire. A client completes their own; a clinician may
    enter one for a client on their caseload (e.g. read out on the telephone)."""
    if membership.role not in CLINICIAN_ROLES and membership.role != Role.CLIENT:
        raise ValidationError("Only clients and their clinicians record measures.")
    if not client_records_visible_to(membership).filter(pk=client.pk).exists():
        if membership.role == Role.CLIENT:
            raise ValidationError("You can only complete your own questionnaires.")
        raise ValidationError("This client is not on your caseload.")
    try:
        result = score(code, answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    inst = instrument(code)
    if appointment is not None:
        if appointment.client_id != client.pk:
            raise ValidationError("That appointment is not this client's.")
        episode = episode_of_appointment(appointment)
    else:
        episode = open_episode_of(client)
    if episode is None:
        raise ValidationError(
            "There is no open episode of care to record this in; a clinician opens one first."
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                response = MeasureResponse.objects.create(
                    organisation_id=client.organisation_id,
                    client=client,
                    episode=episode,
                    appointment=appointment,
                    instrument=inst.code,
                    answers=list(answers),
                    total=result.total,
                    band=result.band or "",
                    flags=sorted(result.flags),
                    complete=result.complete,
                    prorated=result.prorated,
                    completed_at=timezone.now(),
                    entered_by=membership.user,
                    risk_review_needed="risk" in result.flags,
                )
        except IntegrityError:
            raise ValidationError(
                f"The {inst.code} for this appointment has already been completed."
            ) from None
        if response.risk_review_needed:
            # PHQ-9 item 9 / CORE-10 item 6 endorsed: a risk flag for review on the
            # client's record, in the same transaction as the answers.
            risk_flags_from_measure(
                organisation=client.organisation,
                client=client,
                code=inst.code,
                answers=list(answers),
            )
        audit_record(
            actor=membership.user,
            organisation_id=membership.organisation_id,
            action="measure_response.create",
            object_type="measure_response",
            object_id=response.pk,
            changes={
                "instrument": inst.code,
                "episode_id": episode.pk,
                "complete": result.complete,
                "risk_review_needed": response.risk_review_needed,
            },
        )
    return response


@transaction.atomic
def measure_risk_review(*, membership: Membership, response: MeasureResponse) -> MeasureResponse:
    """A clinician records that they have reviewed an endorsed risk item."""
    if membership.role not in CLINICIAN_ROLES:
        raise ValidationError("Only therapists and supervisors review risk items.")
    response = MeasureResponse.objects.select_for_update().get(pk=response.pk)
    if not response.risk_review_needed:
        raise ValidationError("This questionnaire has no risk item to review.")
    if response.risk_reviewed_at is not None:
        raise ValidationError(f"Already reviewed by {response.risk_reviewed_by}.")
    response.risk_reviewed_by, response.risk_reviewed_at = membership.user, timezone.now()
    response.save(update_fields=["risk_reviewed_by", "risk_reviewed_at"])
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="measure_response.risk_review",
        object_type="measure_response",
        object_id=response.pk,
    )
    return response
