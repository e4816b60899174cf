"""Risk flags: raised by clinicians or automatically, resolved once, shown on every
clinical page of the client to clinicians only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.safety.models import RiskFlag
from hearth.safety.risk import risk_flag_raise, risk_flag_resolve
from tests.scheduling.conftest import book_now


def raise_for_alice(cast: Cast, **extra: object) -> RiskFlag:
    values = {"type": "self_harm", "level": "moderate", "source": "disclosure", **extra}
    return risk_flag_raise(
        organisation=cast.organisations["riverside"],
        client=cast.records["alice"],
        **values,  # type: ignore[arg-type]
    )


def test_a_clinician_raises_a_flag_with_a_review_date_by_level(cast: Cast) -> None:
    flag = raise_for_alice(cast, raised_by=cast.memberships["tom"], note="Cut her arm last week")
    assert flag.review_due == timezone.localdate() + timedelta(days=14)
    assert flag.raised_by == cast.users["tom"]
    high = raise_for_alice(cast, raised_by=cast.memberships["sam"], type="suicide", level="high")
    assert high.review_due == timezone.localdate() + timedelta(days=2)
    event = AuditEvent.objects.filter(action="risk_flag.raise").latest("seq")
    assert event.changes["type"] == "suicide" and "arm" not in str(event.changes)


def test_automatic_flags_reinforce_rather_than_repeat(cast: Cast) -> None:
    first = raise_for_alice(cast, source="measure", source_detail="PHQ-9 item 9", level="low")
    again = raise_for_alice(
        cast, source="measure", source_detail="PHQ-9 item 9", level="high", type="self_harm"
    )
    assert again.pk == first.pk and again.level == "high"
    assert again.review_due == timezone.localdate() + timedelta(days=2)
    lower = raise_for_alice(cast, source="measure", source_detail="PHQ-9 item 9", level="low")
    assert lower.level == "high"  # never lowered automatically
    other = raise_for_alice(cast, source="measure", source_detail="CORE-10 item 6")
    assert other.pk != first.pk
    assert RiskFlag.objects.filter(client=cast.records["alice"]).count() == 2
    assert AuditEvent.objects.filter(action="risk_flag.reinforce").count() == 2


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"type": "boredom"}, "type"),
        ({"level": "extreme"}, "level"),
        ({"source": "rumour"}, "source"),
        ({"review_due": timezone.localdate() - timedelta(days=1)}, "review_due"),
    ],
)
def test_bad_flags_are_refused_and_change_nothing(cast: Cast, extra: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        raise_for_alice(cast, raised_by=cast.memberships["tom"], **extra)
    assert field in caught.value.message_dict
    assert not RiskFlag.objects.exists()


def test_only_the_clients_clinicians_raise_and_resolve(cast: Cast) -> None:
    for persona in ("theo", "ada", "alice", "cora", "olive"):
        with pytest.raises(PermissionDenied):
            raise_for_alice(cast, raised_by=cast.memberships[persona])
    with pytest.raises(ValidationError):  # a client of another organisation
        risk_flag_raise(
            organisation=cast.organisations["northgate"],
            client=cast.records["alice"],
            type="other",
            level="low",
            source="other",
        )
    assert not RiskFlag.objects.exists()
    flag = raise_for_alice(cast, raised_by=cast.memberships["tom"])
    with pytest.raises(PermissionDenied):
        risk_flag_resolve(membership=cast.memberships["theo"], flag=flag, note="fine now")
    with pytest.raises(ValidationError):
        risk_flag_resolve(membership=cast.memberships["tom"], flag=flag, note=" ")
    risk_flag_resolve(membership=cast.memberships["sam"], flag=flag, note="Safety plan agreed")
    with pytest.raises(ValidationError, match="already resolved"):
        risk_flag_resolve(membership=cast.memberships["tom"], flag=flag, note="again")


def test_the_banner_shows_on_clinical_pages_to_clinicians_only(cast: Cast, as_persona) -> None:
    raise_for_alice(cast, raised_by=cast.memberships["tom"], type="suicide", level="high")
    record = cast.records["alice"]
    appointment = book_now(cast)
    for persona, path in [
        ("tom", f"/clients/{record.pk}/"),
        ("sam", f"/clients/{record.pk}/safety/"),
        ("tom", f"/clients/{record.pk}/risk/"),
        ("tom", f"/safety/checks/{appointment.pk}/review/"),
    ]:
        page = as_persona(persona).get(path).content.decode()
        assert "Active risk:" in page and "Suicide (high" in page, (persona, path)
    assert "Active risk:" not in as_persona("ada").get(f"/clients/{record.pk}/").content.decode()
    assert "Active risk:" not in as_persona("alice").get("/me/safety/").content.decode()
    assert AuditEvent.objects.filter(action="risk_flag.list", actor_id=cast.users["sam"].pk)


def test_the_risk_page_raises_and_resolves(cast: Cast, as_persona) -> None:
    tom = as_persona("tom")
    url = f"/clients/{cast.records['alice'].pk}/risk/"
    bad = tom.post(url, {"action": "raise", "type": "suicide", "level": "x", "source": "clinician"})
    assert bad.status_code == 200 and not RiskFlag.objects.exists()
    made = tom.post(
        url, {"action": "raise", "type": "suicide", "level": "high", "source": "clinician"}
    )
    assert made.status_code == 302
    flag = RiskFlag.objects.get()
    resolved = tom.post(url, {"action": "resolve", "flag": flag.pk, "note": "Plan agreed"})
    assert resolved.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolution_note == "Plan agreed"
    twice = tom.post(url, {"action": "resolve", "flag": flag.pk, "note": "again"})
    assert "already resolved" in twice.content.decode()
    assert as_persona("theo").get(url).status_code == 404
    assert as_persona("ada").get(url).status_code == 403


def test_measure_answers_raise_flags_for_review(cast: Cast) -> None:
    from hearth.safety.risk import risk_flags_from_measure

    org, record = cast.organisations["riverside"], cast.records["alice"]
    assert (
        risk_flags_from_measure(
            organisation=org, client=record, code="PHQ-9", answers=[1, 2, 1, 1, 0, 1, 2, 1, 0]
        )
        == []
    )
    [flag] = risk_flags_from_measure(
        organisation=org, client=record, code="PHQ-9", answers=[1, 2, 1, 1, 0, 1, 2, 1, 1]
    )
    assert (flag.type, flag.level, flag.source_detail) == ("suicide", "moderate", "PHQ-9 item 9")
    [again] = risk_flags_from_measure(
        organisation=org, client=record, code="PHQ-9", answers=[1, 2, 1, 1, 0, 1, 2, 1, 3]
    )
    assert again.pk == flag.pk and again.level == "high"
    [core] = risk_flags_from_measure(
        organisation=org, client=record, code="CORE-10", answers=[0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    )
    assert (core.source_detail, core.level) == ("CORE-10 item 6", "moderate")
    assert RiskFlag.objects.filter(client=record, status="active").count() == 2
    with pytest.raises(ValueError):
        risk_flags_from_measure(organisation=org, client=record, code="XYZ", answers=[1])
