"""The rest of the safety capability over the API: safety details and plan, suitability,
risk flags, the duty rota and escalation policy, incidents and in-session disclosures.

For each endpoint: what works, bad input that gets a 400 naming the field and changes
nothing, who is refused (404 for a record they cannot see, 403 for a role that may not),
and the audit events of reads and writes (with no clinical content in ``changes``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.api.services import api_token_create
from hearth.governance.models import AuditEvent
from hearth.safety.models import (
    DutyShift,
    EscalationPolicy,
    Incident,
    IncidentStep,
    RiskFlag,
    SafetyDetails,
    SafetyPlanVersion,
    SuitabilityAssessment,
)
from tests.safety.conftest import ALICE_DETAILS
from tests.scheduling.conftest import book_now

JSON = "application/json"
# A PUT sends the whole set, as the page does.
DETAILS = {**ALICE_DETAILS, "professionals": ""}


def put(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.put(url, data, content_type=JSON)


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type=JSON)


def events(cast: Cast, persona: str, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(actor_id=cast.users[persona].pk, action=action).order_by("seq")
    )


def denied(cast: Cast, persona: str, object_type: str) -> bool:
    return AuditEvent.objects.filter(
        actor_id=cast.users[persona].pk, action="access.denied", object_type=object_type
    ).exists()


# --- Safety details ---------------------------------------------------------------


def test_safety_details_read_and_changed(
    cast: Cast, alice_details: SafetyDetails, as_persona: Any
) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/safety-details/"
    alice, tom = as_persona("alice"), as_persona("tom")
    read = tom.get(url)
    assert read.status_code == 200
    assert read.json()["callback_phone"] == "+441614960123"
    assert read.json()["place"] == "England, United Kingdom"
    assert read.json()["emergency_contact_consent"] is True
    assert events(cast, "tom", "safety_details.view")
    assert alice.get(url).json()["home_address"].startswith("12 Mill Lane")
    assert as_persona("ada").get(url).status_code == 200  # admins keep contact details

    changed = put(alice, url, {**DETAILS, "callback_phone": "0161 496 0999", "region": "SCT"})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["callback_phone"] == "+441614960999"
    assert changed.json()["place"] == "Scotland, United Kingdom"
    update = events(cast, "alice", "safety_details.update")[-1]
    assert update.changes == {"fields": ["callback_phone", "region"]}
    assert events(cast, "alice", "safety_details.edit")


def test_safety_details_bad_input_changes_nothing(
    cast: Cast, alice_details: SafetyDetails, as_persona: Any
) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/safety-details/"
    alice = as_persona("alice")
    before = SafetyDetails.objects.values().get(pk=alice_details.pk)
    writes = AuditEvent.objects.filter(action="safety_details.update").count()
    for body, field in [
        ({"callback_phone": "nope"}, "callback_phone"),
        ({"emergency_contact_phone": "12"}, "emergency_contact_phone"),
        ({"country": "GB", "region": "XX"}, "region"),
        ({"country": "FR"}, "country"),
        (
            {"emergency_contact_name": "Bea", "emergency_contact_phone": ""},
            "emergency_contact_phone",
        ),
        ({"emergency_contact_consent": "perhaps"}, "emergency_contact_consent"),
        ({"callback_phone": "0" * 40}, "callback_phone"),
        ({"emergency_contact_consent": None}, "emergency_contact_consent"),
    ]:
        response = put(alice, url, {**DETAILS, "callback_phone": "0161 496 0777", **body})
        assert response.status_code == 400, body
        assert field in response.json(), (body, response.json())
    without_consent = {k: v for k, v in DETAILS.items() if k != "emergency_contact_consent"}
    missing = put(alice, url, without_consent)
    assert missing.status_code == 400 and "emergency_contact_consent" in missing.json()
    assert SafetyDetails.objects.values().get(pk=alice_details.pk) == before
    assert AuditEvent.objects.filter(action="safety_details.update").count() == writes


def test_safety_details_refused(cast: Cast, alice_details: SafetyDetails, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/safety-details/"
    before = SafetyDetails.objects.values().get(pk=alice_details.pk)
    assert as_persona("theo").get(url).status_code == 404  # another therapist's client
    assert denied(cast, "theo", "safety_details")
    assert as_persona("charlie").get(url).status_code == 404  # another client's record
    assert put(as_persona("charlie"), url, DETAILS).status_code == 404
    assert as_persona("olive").get(url).status_code == 404  # another organisation
    assert as_persona("cora").get(url).status_code == 403  # commissioners: aggregates only
    assert as_persona(None).get(url).status_code == 401
    assert SafetyDetails.objects.values().get(pk=alice_details.pk) == before


# --- The safety plan -------------------------------------------------------------


def test_safety_plan_versions(cast: Cast, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/safety-plan/"
    alice, tom = as_persona("alice"), as_persona("tom")
    assert alice.get(url).json() == {"current": None, "history": []}
    first = post(alice, url, {"warning_signs": "Not sleeping", "people_to_ask": "Bea"})
    assert first.status_code == 201 and first.json()["version"] == 1
    same = post(tom, url, {"warning_signs": "Not sleeping", "people_to_ask": "Bea"})
    assert same.status_code == 200 and same.json()["version"] == 1
    second = post(tom, url, {"warning_signs": "Not sleeping", "people_to_ask": "Bea, Dan"})
    assert second.status_code == 201 and second.json()["version"] == 2
    plan = tom.get(url).json()
    assert plan["current"]["people_to_ask"] == "Bea, Dan"
    assert plan["current"]["created_by_id"] == cast.users["tom"].pk
    assert [v["version"] for v in plan["history"]] == [2, 1]
    assert events(cast, "tom", "safety_details.plan_view")
    saved = events(cast, "tom", "safety_plan.update")[-1]
    assert saved.changes == {"version": 2, "sections": ["people_to_ask"]}
    assert "Bea" not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_safety_plan_bad_input_and_refusals(cast: Cast, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/safety-plan/"
    alice = as_persona("alice")
    empty = post(alice, url, {"warning_signs": "  "})
    assert empty.status_code == 400 and "at least one section" in str(empty.json())
    long = post(alice, url, {"warning_signs": "x" * 4001})
    assert long.status_code == 400 and "warning_signs" in long.json()
    assert not SafetyPlanVersion.objects.exists()
    assert as_persona("ada").get(url).status_code == 403  # admins do not read clinical text
    assert post(as_persona("ada"), url, {"warning_signs": "x"}).status_code == 403
    assert as_persona("theo").get(url).status_code == 404
    assert as_persona("charlie").get(url).status_code == 404
    assert post(as_persona("charlie"), url, {"warning_signs": "x"}).status_code == 404
    assert not SafetyPlanVersion.objects.exists()


# --- Suitability -------------------------------------------------------------------

ASSESSMENT: dict[str, Any] = {
    "risk_level": "low",
    "judgements": {
        "video": {"suitable": True, "reason": "Private room at home, good connection"},
        "telephone": {"suitable": False, "reason": "Finds it hard without seeing a face"},
    },
    "client_choice": "video",
    "presentation": "Low mood and worry",
}


def test_suitability_versions_and_the_worklist(cast: Cast, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/suitability/"
    tom = as_persona("tom")
    empty = tom.get(url).json()
    assert empty == {"review_reasons": ["No suitability assessment yet."], "versions": []}
    due = tom.get("/api/v1/suitability/reviews-due/").json()
    assert [e["client_id"] for e in due] == [cast.records["alice"].pk]
    assert due[0]["current_version"] is None

    assert post(tom, url, ASSESSMENT).status_code == 201
    again = post(tom, url, {**ASSESSMENT, "client_choice": "in_person", "review_interval_days": 30})
    assert again.status_code == 201 and again.json()["version"] == 2
    body = tom.get(url).json()
    assert body["review_reasons"] == []
    assert [v["version"] for v in body["versions"]] == [2, 1]
    current = body["versions"][0]
    assert current["client_choice"] == "in_person" and current["suitable_modalities"] == ["video"]
    assert current["judgements"]["telephone"] == ASSESSMENT["judgements"]["telephone"]
    assert current["review_due"] == str(timezone.localdate() + timedelta(days=30))
    assert tom.get("/api/v1/suitability/reviews-due/").json() == []

    assert len(events(cast, "tom", "suitability.list")) == 2
    assert events(cast, "tom", "safety_details.suitability_view")
    assessed = events(cast, "tom", "suitability.assess")[-1]
    assert assessed.changes == {"version": 2, "suitable": ["video"], "client_choice": "in_person"}
    changes = str(AuditEvent.objects.values_list("changes", flat=True))
    assert "good connection" not in changes and "Low mood" not in changes


def test_suitability_bad_input_and_refusals(cast: Cast, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/suitability/"
    tom = as_persona("tom")
    for change, field in [
        ({"risk_level": "extreme"}, "risk_level"),
        ({"client_choice": "carrier_pigeon"}, "client_choice"),
        ({"judgements": {}}, "judgements"),
        ({"judgements": {"hologram": {"suitable": True, "reason": "x"}}}, "judgements"),
        ({"judgements": {"video": {"suitable": True, "reason": " "}}}, "judgements"),
        ({"judgements": {"video": {"reason": "no verdict"}}}, "judgements"),
        ({"review_interval_days": 3}, "review_interval_days"),
    ]:
        response = post(tom, url, {**ASSESSMENT, **change})
        assert response.status_code == 400, change
        assert field in response.json(), (change, response.json())
    assert not SuitabilityAssessment.objects.exists()
    assert as_persona("theo").get(url).status_code == 404
    assert post(as_persona("theo"), url, ASSESSMENT).status_code == 404
    assert as_persona("alice").get(url).status_code == 403  # clients see it on their pages
    assert as_persona("ada").get(url).status_code == 403
    assert as_persona("alice").get("/api/v1/suitability/reviews-due/").status_code == 403
    assert as_persona("ada").get("/api/v1/suitability/reviews-due/").status_code == 403
    assert not SuitabilityAssessment.objects.exists()


# --- Risk flags --------------------------------------------------------------------

FLAG = {"type": "self_harm", "level": "moderate", "source": "disclosure", "note": "Cut her arm"}


def test_risk_flags_raised_listed_and_resolved(cast: Cast, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/risk-flags/"
    tom, sam = as_persona("tom"), as_persona("sam")
    raised = post(tom, url, FLAG)
    assert raised.status_code == 201, raised.json()
    flag = raised.json()
    assert flag["review_due"] == str(timezone.localdate() + timedelta(days=14))
    assert flag["raised_by_id"] == cast.users["tom"].pk and flag["status"] == "active"
    listed = sam.get(url).json()
    assert [f["id"] for f in listed["active"]] == [flag["id"]] and listed["resolved"] == []

    resolve = f"/api/v1/risk-flags/{flag['id']}/resolve/"
    done = post(tom, resolve, {"note": "Safety plan in place; no further harm"})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    twice = post(tom, resolve, {"note": "again"})
    assert twice.status_code == 400 and "already resolved" in str(twice.json())
    listed = tom.get(url).json()
    assert listed["active"] == [] and [f["id"] for f in listed["resolved"]] == [flag["id"]]

    assert events(cast, "tom", "risk_flag.raise")[-1].changes == {
        "client_id": cast.records["alice"].pk,
        "type": "self_harm",
        "level": "moderate",
        "source": "disclosure",
    }
    assert events(cast, "tom", "risk_flag.resolve")
    assert events(cast, "tom", "risk_flag.view")
    assert events(cast, "sam", "safety_details.risk_view")
    assert events(cast, "tom", "safety_details.risk_edit")
    flag_changes = str(AuditEvent.objects.values_list("changes", flat=True))
    assert "Cut her arm" not in flag_changes and "no further harm" not in flag_changes


def test_risk_flags_bad_input_and_refusals(cast: Cast, as_persona: Any) -> None:
    url = f"/api/v1/clients/{cast.records['alice'].pk}/risk-flags/"
    tom = as_persona("tom")
    yesterday = str(timezone.localdate() - timedelta(days=1))
    for change, field in [
        ({"type": "boredom"}, "type"),
        ({"level": "extreme"}, "level"),
        ({"source": "measure"}, "source"),  # questionnaires raise their own
        ({"review_due": yesterday}, "review_due"),
        ({"review_due": "soon"}, "review_due"),
    ]:
        response = post(tom, url, {**FLAG, **change})
        assert response.status_code == 400, change
        assert field in response.json(), (change, response.json())
    assert not RiskFlag.objects.exists()
    assert as_persona("theo").get(url).status_code == 404
    assert post(as_persona("theo"), url, FLAG).status_code == 404
    assert as_persona("alice").get(url).status_code == 403
    assert as_persona("ada").get(url).status_code == 403
    assert not RiskFlag.objects.exists()

    flag = post(tom, url, FLAG).json()
    resolve = f"/api/v1/risk-flags/{flag['id']}/resolve/"
    blank = post(tom, resolve, {"note": ""})
    assert blank.status_code == 400 and "note" in blank.json()
    assert post(as_persona("theo"), resolve, {"note": "not mine"}).status_code == 404
    assert denied(cast, "theo", "risk_flag")
    assert post(as_persona("alice"), resolve, {"note": "I am fine"}).status_code == 403
    assert RiskFlag.objects.get().status == RiskFlag.Status.ACTIVE


def test_a_read_only_token_reads_but_does_not_write(cast: Cast) -> None:
    _, key = api_token_create(
        membership=cast.memberships["tom"], name="reader", scopes=["clinical:read"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/clients/{cast.records['alice'].pk}/risk-flags/"
    assert client.get(url).status_code == 200
    refused = post(client, url, FLAG)
    assert refused.status_code == 403 and "clinical:write" in str(refused.json())
    assert not RiskFlag.objects.exists()


# --- The duty rota and the escalation policy ------------------------------------------


def _shift(cast: Cast, persona: str = "tom", **change: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "clinician_id": cast.users[persona].pk,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=4)).isoformat(),
        "position": 1,
        **change,
    }


def test_duty_rota_kept_over_the_api(cast: Cast, as_persona: Any) -> None:
    ada, sam, tom = as_persona("ada"), as_persona("sam"), as_persona("tom")
    added = post(ada, "/api/v1/duty-shifts/", _shift(cast))
    assert added.status_code == 201, added.json()
    assert added.json()["clinician"] == "Tom Turner"
    second = post(sam, "/api/v1/duty-shifts/", _shift(cast, "theo", position=2))
    assert second.status_code == 201
    rota = tom.get("/api/v1/duty-shifts/").json()
    assert [(s["clinician_id"], s["position"]) for s in rota] == [
        (cast.users["tom"].pk, 1),
        (cast.users["theo"].pk, 2),
    ]
    later = timezone.now() + timedelta(days=30)
    query = {"start": later.isoformat(), "end": (later + timedelta(days=1)).isoformat()}
    assert tom.get("/api/v1/duty-shifts/", query).json() == []
    assert as_persona("olive").get("/api/v1/duty-shifts/").json() == []  # her organisation's

    removed = sam.delete(f"/api/v1/duty-shifts/{added.json()['id']}/")
    assert removed.status_code == 204
    assert list(DutyShift.objects.values_list("membership__user_id", flat=True)) == [
        cast.users["theo"].pk
    ]
    assert events(cast, "ada", "duty_shift.add") and events(cast, "sam", "duty_shift.add")
    assert events(cast, "sam", "duty_shift.remove")


def test_duty_rota_bad_input_and_refusals(cast: Cast, as_persona: Any) -> None:
    ada = as_persona("ada")
    now = timezone.now()
    for change, field in [
        ({"ends_at": (now - timedelta(hours=2)).isoformat()}, "ends_at"),
        ({"ends_at": (now + timedelta(days=8)).isoformat()}, "ends_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"position": 12}, "position"),
        ({"clinician_id": cast.users["alice"].pk}, "clinician_id"),  # a client
        ({"clinician_id": cast.users["olive"].pk}, "clinician_id"),  # another organisation
    ]:
        response = post(ada, "/api/v1/duty-shifts/", _shift(cast, **change))
        assert response.status_code == 400, change
        assert field in response.json(), (change, response.json())
    assert not DutyShift.objects.exists()
    backwards = {"start": now.isoformat(), "end": (now - timedelta(days=1)).isoformat()}
    refused_span = ada.get("/api/v1/duty-shifts/", backwards)
    assert refused_span.status_code == 400 and "end" in refused_span.json()
    too_long = {"end": (now + timedelta(days=200)).isoformat()}
    assert "end" in ada.get("/api/v1/duty-shifts/", too_long).json()

    # Therapists read the rota but do not keep it; clients and commissioners do neither.
    assert post(as_persona("tom"), "/api/v1/duty-shifts/", _shift(cast)).status_code == 403
    assert post(as_persona("tom"), "/api/v1/duty-shifts/", {}).status_code == 403
    assert as_persona("alice").get("/api/v1/duty-shifts/").status_code == 403
    assert as_persona("cora").get("/api/v1/duty-shifts/").status_code == 403
    shift = post(ada, "/api/v1/duty-shifts/", _shift(cast)).json()
    assert as_persona("tom").delete(f"/api/v1/duty-shifts/{shift['id']}/").status_code == 403
    assert ada.delete("/api/v1/duty-shifts/999999/").status_code == 404
    assert DutyShift.objects.count() == 1


def test_escalation_policy_over_the_api(cast: Cast, as_persona: Any) -> None:
    url = "/api/v1/escalation-policy/"
    ada, tom = as_persona("ada"), as_persona("tom")
    assert tom.get(url).json() == {"ack_minutes": 5, "service_lead_id": None, "service_lead": ""}
    for change, field in [
        ({"ack_minutes": 0}, "ack_minutes"),
        ({"ack_minutes": 61}, "ack_minutes"),
        ({"service_lead_id": cast.users["alice"].pk}, "service_lead_id"),
        ({"service_lead_id": cast.users["olive"].pk}, "service_lead_id"),
        ({"service_lead_id": "sam"}, "service_lead_id"),
    ]:
        response = put(ada, url, {"ack_minutes": 10, "service_lead_id": None, **change})
        assert response.status_code == 400, change
        assert field in response.json(), (change, response.json())
    missing = put(ada, url, {"ack_minutes": 10})
    assert missing.status_code == 400 and "service_lead_id" in missing.json()
    assert put(tom, url, {"ack_minutes": 10, "service_lead_id": None}).status_code == 403
    assert (
        put(as_persona("sam"), url, {"ack_minutes": 10, "service_lead_id": None}).status_code == 403
    )
    assert as_persona("alice").get(url).status_code == 403
    policy = EscalationPolicy.objects.get(organisation=cast.organisations["riverside"])
    assert (policy.ack_minutes, policy.service_lead_id) == (5, None)

    changed = put(ada, url, {"ack_minutes": 10, "service_lead_id": cast.users["sam"].pk})
    assert changed.status_code == 200
    assert changed.json() == {
        "ack_minutes": 10,
        "service_lead_id": cast.users["sam"].pk,
        "service_lead": "Sam Singh",
    }
    assert events(cast, "ada", "escalation_policy.update")[-1].changes == {
        "ack_minutes": 10,
        "service_lead_user_id": cast.users["sam"].pk,
    }


# --- Incidents ------------------------------------------------------------------------


def test_incidents_listed_read_acted_on_and_closed(cast: Cast, as_persona: Any) -> None:
    incident_id = as_persona("alice").post("/api/v1/safety/help/").json()["incident_id"]
    tom, sam, theo = as_persona("tom"), as_persona("sam"), as_persona("theo")
    listed = tom.get("/api/v1/incidents/").json()
    assert [i["id"] for i in listed["results"]] == [incident_id]
    assert listed["results"][0]["status"] == "open"
    assert events(cast, "tom", "incident.list")[-1].changes == {"count": 1}
    assert tom.get("/api/v1/incidents/", {"status": "closed"}).json()["results"] == []
    assert theo.get("/api/v1/incidents/").json()["results"] == []

    url = f"/api/v1/incidents/{incident_id}/"
    detail = tom.get(url).json()
    kinds = [s["kind"] for s in detail["steps"]]
    assert kinds[0] == "opened" and "alerted" in kinds
    assert detail["crisis_numbers"][0]["number"] == "999"
    assert events(cast, "tom", "incident.view")

    acted = post(tom, f"{url}actions/", {"action": "called_client", "note": "She is safe at home"})
    assert acted.status_code == 201
    assert (
        acted.json()["action"] == "called_client"
        and acted.json()["user_id"] == cast.users["tom"].pk
    )
    step_event = events(cast, "tom", "incident.action")[-1]
    assert step_event.changes == {"action": "called_client"}

    not_yet = post(sam, f"{url}close/", {"review_note": "Reviewed"})
    assert not_yet.status_code == 400 and "acknowledged" in str(not_yet.json())
    assert post(tom, f"{url}acknowledge/").status_code == 204
    closed = post(sam, f"{url}close/", {"review_note": "Handled well; safety plan updated."})
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "closed"
    assert closed.json()["review_note"] == "Handled well; safety plan updated."
    assert closed.json()["steps"][-1]["kind"] == "closed"
    assert events(cast, "sam", "incident.closed")
    assert events(cast, "sam", "incident.close_request")
    changes = str(AuditEvent.objects.values_list("changes", flat=True))
    assert "safe at home" not in changes and "Handled well" not in changes


def test_incidents_bad_input_and_refusals(cast: Cast, as_persona: Any) -> None:
    incident_id = as_persona("alice").post("/api/v1/safety/help/").json()["incident_id"]
    url = f"/api/v1/incidents/{incident_id}/"
    tom, sam = as_persona("tom"), as_persona("sam")
    steps = IncidentStep.objects.filter(incident_id=incident_id).count()
    bad_status = tom.get("/api/v1/incidents/", {"status": "lost"})
    assert bad_status.status_code == 400 and "status" in bad_status.json()
    bad_action = post(tom, f"{url}actions/", {"action": "teleported"})
    assert bad_action.status_code == 400 and "action" in bad_action.json()
    assert post(tom, f"{url}actions/", {}).status_code == 400
    assert post(tom, f"{url}acknowledge/").status_code == 204
    steps += 1
    blank = post(sam, f"{url}close/", {"review_note": ""})
    assert blank.status_code == 400 and "review_note" in blank.json()
    assert IncidentStep.objects.filter(incident_id=incident_id).count() == steps
    assert Incident.objects.get().status == Incident.Status.ACKNOWLEDGED

    theo = as_persona("theo")  # not Charlie's help request, not alerted
    assert theo.get(url).status_code == 404
    assert denied(cast, "theo", "incident")
    assert post(theo, f"{url}actions/", {"action": "called_client"}).status_code == 404
    assert as_persona("olive").get(url).status_code == 404
    assert post(tom, f"{url}close/", {"review_note": "Mine"}).status_code == 403  # supervisors
    assert as_persona("alice").get(url).status_code == 403
    assert as_persona("alice").get("/api/v1/incidents/").status_code == 403
    assert as_persona("ada").get("/api/v1/incidents/").status_code == 403
    assert IncidentStep.objects.filter(incident_id=incident_id).count() == steps
    assert Incident.objects.get().status == Incident.Status.ACKNOWLEDGED


# --- A disclosure in a session ------------------------------------------------------


def test_a_disclosure_from_the_risk_panel(
    cast: Cast, alice_details: SafetyDetails, as_persona: Any
) -> None:
    appointment = book_now(cast)
    url = f"/api/v1/appointments/{appointment.pk}/disclosures/"
    tom = as_persona("tom")
    body = {
        "type": "suicide",
        "level": "moderate",
        "actions": ["safety_plan", "emergency_contact"],
        "note": "Thoughts of ending her life this week",
    }
    made = post(tom, url, body)
    assert made.status_code == 201, made.json()
    incident = made.json()
    assert incident["kind"] == "disclosure" and incident["status"] == "acknowledged"
    assert incident["address"].startswith("12 Mill Lane") and not incident["location_confirmed"]
    actions = [s["action"] for s in incident["steps"] if s["kind"] == "action"]
    assert actions == ["safety_plan", "emergency_contact"]
    flag = RiskFlag.objects.get()
    assert (flag.type, flag.level, flag.source) == ("suicide", "moderate", "disclosure")
    assert events(cast, "tom", "session_check.risk_panel_update")
    assert len(events(cast, "tom", "incident.action")) == 2
    assert events(cast, "tom", "risk_flag.raise")
    assert "ending her life" not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_a_disclosure_bad_input_and_refusals(
    cast: Cast, alice_details: SafetyDetails, as_persona: Any
) -> None:
    appointment = book_now(cast)
    url = f"/api/v1/appointments/{appointment.pk}/disclosures/"
    tom = as_persona("tom")
    good = {"type": "self_harm", "level": "low", "actions": []}
    for change, field in [
        ({"type": "boredom"}, "type"),
        ({"level": "extreme"}, "level"),
        ({"actions": ["teleport"]}, "actions"),
        ({"actions": "safety_plan"}, "actions"),
    ]:
        response = post(tom, url, {**good, **change})
        assert response.status_code == 400, change
        assert field in response.json(), (change, response.json())
    assert post(as_persona("alice"), url, good).status_code == 403  # the client
    assert post(as_persona("theo"), url, good).status_code == 404  # not his session
    assert post(as_persona("sam"), url, good).status_code == 404  # 1:1: the therapist only
    assert denied(cast, "theo", "session_check")
    assert post(as_persona("ada"), url, good).status_code == 403
    assert not Incident.objects.exists() and not RiskFlag.objects.exists()
