"""The therapist's risk panel in a session: a disclosure becomes a risk flag and an
incident with timestamped actions and the client's confirmed location."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hearth.accounts.personas import Cast
from hearth.safety.checks import session_check_confirm, session_check_submit
from hearth.safety.escalation import incident_action_record, risk_disclosure_record
from hearth.safety.models import Incident, IncidentStep, RiskFlag, SafetyDetails
from tests.safety.conftest import shift_now
from tests.scheduling.conftest import book_now

ELSEWHERE = {
    "location": "other",
    "address": "3 Harbour Street, Oban",
    "country": "GB",
    "region": "SCT",
    "callback_phone": "0113 496 0456",
    "is_private": True,
    "emergency_contact_correct": True,
}


def test_a_disclosure_is_flagged_and_its_actions_timestamped(
    cast: Cast, alice_details: SafetyDetails
) -> None:
    shift_now(cast, "sam")
    appointment = book_now(cast)
    session_check_submit(membership=cast.memberships["alice"], appointment=appointment, **ELSEWHERE)
    session_check_confirm(membership=cast.memberships["tom"], appointment=appointment)
    incident = risk_disclosure_record(
        membership=cast.memberships["tom"],
        appointment=appointment,
        type="suicide",
        level="high",
        actions=["safety_plan", "crisis_team"],
        note="Plans for tonight",
    )
    flag = RiskFlag.objects.get(client=cast.records["alice"])
    assert (flag.type, flag.level, flag.source) == ("suicide", "high", "disclosure")
    assert incident.address == "3 Harbour Street, Oban" and incident.region == "SCT"
    assert incident.location_confirmed and incident.acknowledged_by == cast.users["tom"]
    steps = list(incident.steps.values_list("kind", "action", "user__email"))
    assert steps == [
        ("opened", "", "tom@demo.hearth.test"),
        ("acknowledged", "", "tom@demo.hearth.test"),
        ("action", "safety_plan", "tom@demo.hearth.test"),
        ("action", "crisis_team", "tom@demo.hearth.test"),
        ("alerted", "", "sam@demo.hearth.test"),  # high risk: the duty clinician knows
    ]
    incident_action_record(
        membership=cast.memberships["tom"], incident=incident, action="emergency_services"
    )
    assert incident.steps.filter(kind=IncidentStep.Kind.ACTION).count() == 3


def test_only_the_sessions_therapist_and_known_actions(cast: Cast) -> None:
    appointment = book_now(cast)
    for persona in ("alice", "theo", "sam"):
        with pytest.raises(PermissionDenied):
            risk_disclosure_record(
                membership=cast.memberships[persona],
                appointment=appointment,
                type="self_harm",
                level="low",
                actions=[],
            )
    with pytest.raises(ValidationError):
        risk_disclosure_record(
            membership=cast.memberships["tom"],
            appointment=appointment,
            type="self_harm",
            level="low",
            actions=["hoped"],
        )
    with pytest.raises(ValidationError):
        risk_disclosure_record(
            membership=cast.memberships["tom"],
            appointment=appointment,
            type="boredom",
            level="low",
            actions=[],
        )
    assert not Incident.objects.exists() and not RiskFlag.objects.exists()


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_panel_fragment(cast: Cast, alice_details: SafetyDetails, as_persona: Any) -> None:
    appointment = book_now(cast)
    tom = as_persona("tom")
    url = f"/safety/checks/{appointment.pk}/risk/"
    panel = tom.get(url, **HTMX).content.decode()
    assert "12 Mill Lane" in panel and "not confirmed" in panel and "NHS 111" in panel
    bad = tom.post(url, {"do": "disclose", "type": "suicide", "level": "x"}, **HTMX)
    assert "Select a valid choice" in bad.content.decode() and not Incident.objects.exists()
    done = tom.post(
        url,
        {"do": "disclose", "type": "self_harm", "level": "moderate", "actions": ["safety_plan"]},
        **HTMX,
    ).content.decode()
    assert "Agreed a safety plan" in done and "Active risk:" in done
    incident = Incident.objects.get()
    more = tom.post(
        url, {"do": "act", "incident": incident.pk, "action": "emergency_contact"}, **HTMX
    ).content.decode()
    assert "Contacted the emergency contact" in more
    assert as_persona("alice").get(url).status_code == 403
    # The incident page records actions the same way.
    detail = f"/safety/incidents/{incident.pk}/"
    assert tom.post(detail, {"do": "act", "action": "called_client"}).status_code == 302
    assert incident.steps.filter(action="called_client").exists()
