"""The safety endpoints: the same rules as the pages, 400s that name the field, and a
place in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from hearth.accounts.personas import Cast
from hearth.safety.models import Incident, SafetyDetails, SessionStartCheck
from tests.scheduling.conftest import book_now


def test_crisis_numbers_by_place(cast: Cast, as_persona: Any) -> None:
    alice = as_persona("alice")
    scotland = alice.get("/api/v1/safety/crisis-numbers/?country=GB&region=SCT").json()
    assert scotland[0]["number"] == "999"
    assert "Breathing Space" in [e["name"] for e in scotland]
    assert all(e["source_url"].startswith("https://") for e in scotland)
    bad = alice.get("/api/v1/safety/crisis-numbers/?country=GB&region=XX")
    assert bad.status_code == 400 and "region" in bad.json()
    assert as_persona(None).get("/api/v1/safety/crisis-numbers/").status_code == 401


def test_the_check_over_the_api(cast: Cast, alice_details: SafetyDetails, as_persona: Any) -> None:
    appointment = book_now(cast)
    url = f"/api/v1/appointments/{appointment.pk}/session-check/"
    alice, tom = as_persona("alice"), as_persona("tom")
    assert alice.get(url).json()["state"] == "missing"
    answers = {
        "location": "home",
        "callback_phone": "0161 496 0123",
        "is_private": True,
        "emergency_contact_correct": True,
    }
    bad = alice.post(url, {**answers, "callback_phone": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and "callback_phone" in bad.json()
    assert not SessionStartCheck.objects.exists()
    sent = alice.post(url, answers, content_type="application/json").json()
    assert sent["state"] == "submitted" and not sent["may_start"]
    assert tom.post(f"{url}confirm/").json()["may_start"] is True
    again = tom.post(f"{url}confirm/")
    assert again.status_code == 400 and "already confirmed" in str(again.json())
    status = tom.get(url).json()
    assert status["location"]["region"] == "ENG" and status["location"]["confirmed"]
    assert as_persona("theo").get(url).status_code == 404
    assert alice.post(f"{url}override/", {"reason": "x" * 20}).status_code == 403


def test_help_and_acknowledge_over_the_api(cast: Cast, as_persona: Any) -> None:
    response = as_persona("alice").post("/api/v1/safety/help/")
    assert response.status_code == 201
    body = response.json()
    assert body["crisis_numbers"][0]["number"] == "999" and not body["repeated"]
    url = f"/api/v1/incidents/{body['incident_id']}/acknowledge/"
    assert as_persona("theo").post(url).status_code == 404
    assert as_persona("tom").post(url).status_code == 204
    twice = as_persona("tom").post(url)
    assert twice.status_code == 400 and "Already acknowledged" in str(twice.json())
    assert Incident.objects.get().acknowledged_by == cast.users["tom"]
    assert as_persona("tom").post("/api/v1/safety/help/").status_code == 403


def test_the_schema_describes_the_safety_endpoints(cast: Cast, as_persona: Any) -> None:
    schema = as_persona("tom").get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/safety/crisis-numbers/",
        "/api/v1/safety/help/",
        "/api/v1/appointments/{appointment_id}/session-check/",
        "/api/v1/appointments/{appointment_id}/session-check/confirm/",
        "/api/v1/appointments/{appointment_id}/session-check/override/",
        "/api/v1/incidents/{incident_id}/acknowledge/",
        "/api/v1/clients/{record_id}/safety-details/",
        "/api/v1/clients/{record_id}/safety-plan/",
        "/api/v1/clients/{record_id}/suitability/",
        "/api/v1/suitability/reviews-due/",
        "/api/v1/clients/{record_id}/risk-flags/",
        "/api/v1/risk-flags/{flag_id}/resolve/",
        "/api/v1/duty-shifts/",
        "/api/v1/duty-shifts/{shift_id}/",
        "/api/v1/escalation-policy/",
        "/api/v1/incidents/",
        "/api/v1/incidents/{incident_id}/",
        "/api/v1/incidents/{incident_id}/actions/",
        "/api/v1/incidents/{incident_id}/close/",
        "/api/v1/appointments/{appointment_id}/disclosures/",
    ):
        assert path in schema["paths"], path
    methods = {
        "/api/v1/clients/{record_id}/safety-details/": {"get", "put"},
        "/api/v1/clients/{record_id}/safety-plan/": {"get", "post"},
        "/api/v1/clients/{record_id}/suitability/": {"get", "post"},
        "/api/v1/clients/{record_id}/risk-flags/": {"get", "post"},
        "/api/v1/duty-shifts/": {"get", "post"},
        "/api/v1/duty-shifts/{shift_id}/": {"delete"},
        "/api/v1/escalation-policy/": {"get", "put"},
    }
    for path, expected in methods.items():
        operations = schema["paths"][path]
        assert expected <= set(operations), (path, set(operations))
        assert all(operations[m].get("summary") for m in expected), path
    bodies = schema["components"]["schemas"]
    assert bodies["RiskFlagRaiseRequest"]["required"] == ["level", "source", "type"]
    assert "IncidentActionEnum" in bodies
