"""'I need help now', the duty rota and escalation: who is alerted, when an alert moves
on, who may acknowledge, and the incident a supervisor closes. Email goes to a real
SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hearth.accounts.models import Membership, Role, User
from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent
from hearth.platform.periodic import JOBS
from hearth.safety.escalation import (
    duty_shift_add,
    escalation_acknowledge,
    escalation_policy_update,
    escalations_advance,
    help_request_raise,
    incident_action_record,
    incident_close,
)
from hearth.safety.models import DutyShift, Incident, IncidentStep, SafetyDetails
from tests.conftest import Inbox
from tests.safety.conftest import shift_now


def alerted(incident: Incident) -> list[str]:
    return [
        s.user.email.split("@")[0]
        for s in incident.steps.filter(kind=IncidentStep.Kind.ALERTED).select_related("user")
    ]


def lead(cast: Cast) -> Membership:
    user = User.objects.create_user("lena@demo.hearth.test", "x" * 16, full_name="Lena Lead")
    return Membership.objects.create(
        user=user, organisation=cast.organisations["riverside"], role=Role.SUPERVISOR
    )


def test_help_alerts_the_therapist_and_the_duty_clinician_by_email(
    cast: Cast,
    alice_details: SafetyDetails,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    shift_now(cast, "sam")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = help_request_raise(membership=cast.memberships["alice"])
    incident = outcome.incident
    assert sorted(alerted(incident)) == ["sam", "tom"]
    assert outcome.place.region == "ENG" and not outcome.place.confirmed
    assert outcome.crisis_numbers[0].number == "999"
    assert incident.ack_due_at == incident.opened_at + timedelta(minutes=5)
    assert incident.address.startswith("12 Mill Lane")
    for who in ("tom", "sam"):
        [message] = [m for m in smtp.messages if m["To"] == f"{who}@demo.hearth.test"]
        body = message.get_payload()
        assert f"/safety/incidents/{incident.pk}/" in body
        assert "Alice" not in body and "Mill" not in body and "Alice" not in message["Subject"]
    assert AuditEvent.objects.filter(action="incident.open", object_id=str(incident.pk)).exists()


def test_pressing_again_joins_the_same_incident(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    first = help_request_raise(membership=cast.memberships["alice"])
    again = help_request_raise(membership=cast.memberships["alice"])
    assert again.repeated and again.incident.pk == first.incident.pk
    assert alerted(first.incident) == ["tom"]
    assert Incident.objects.count() == 1


def test_only_clients_ask_for_help(cast: Cast) -> None:
    for persona in ("tom", "ada", "cora"):
        with pytest.raises(PermissionDenied):
            help_request_raise(membership=cast.memberships[persona])
    assert not Incident.objects.exists()


def test_an_unacknowledged_alert_moves_on_then_to_the_lead(cast: Cast) -> None:
    shift_now(cast, "theo", position=1)
    shift_now(cast, "sam", position=2)
    lena = lead(cast)
    escalation_policy_update(membership=cast.memberships["ada"], ack_minutes=5, service_lead=lena)
    incident = help_request_raise(membership=cast.memberships["alice"]).incident
    assert sorted(alerted(incident)) == ["theo", "tom"]
    start = incident.opened_at
    assert escalations_advance(now=start + timedelta(minutes=4)) == 0
    assert escalations_advance(now=start + timedelta(minutes=5, seconds=1)) == 1
    assert alerted(incident)[-1] == "sam"
    incident.refresh_from_db()
    assert incident.escalation_level == 1
    assert incident.ack_due_at == start + timedelta(minutes=10, seconds=1)
    assert escalations_advance(now=start + timedelta(minutes=10, seconds=2)) == 1
    assert alerted(incident)[-1] == "lena"
    assert escalations_advance(now=start + timedelta(minutes=16)) == 1
    kinds = list(incident.steps.values_list("kind", flat=True))
    assert kinds[-1] == "exhausted"
    incident.refresh_from_db()
    assert incident.ack_due_at is None  # nobody left: the alerts stay on their pages
    assert escalations_advance(now=start + timedelta(minutes=30)) == 0
    assert AuditEvent.objects.filter(action="incident.escalate").count() == 3


def test_without_a_rota_the_supervisors_are_the_next_step(cast: Cast) -> None:
    incident = help_request_raise(membership=cast.memberships["alice"]).incident
    assert alerted(incident) == ["tom"]
    escalations_advance(now=incident.opened_at + timedelta(minutes=6))
    assert alerted(incident) == ["tom", "sam"]


def test_acknowledging_once_by_someone_alerted(cast: Cast) -> None:
    shift_now(cast, "sam")
    incident = help_request_raise(membership=cast.memberships["alice"]).incident
    with pytest.raises(ValidationError, match="not on the rota"):
        escalation_acknowledge(membership=cast.memberships["theo"], incident=incident)
    with pytest.raises(PermissionDenied):
        escalation_acknowledge(membership=cast.memberships["olive"], incident=incident)
    incident.refresh_from_db()
    assert incident.acknowledged_at is None
    escalation_acknowledge(membership=cast.memberships["sam"], incident=incident)
    with pytest.raises(ValidationError, match="Already acknowledged by Sam Singh"):
        escalation_acknowledge(membership=cast.memberships["tom"], incident=incident)
    incident.refresh_from_db()
    assert incident.acknowledged_by == cast.users["sam"] and incident.status == "acknowledged"
    assert escalations_advance(now=timezone.now() + timedelta(hours=1)) == 0


def test_actions_and_the_supervisors_review(cast: Cast) -> None:
    incident = help_request_raise(membership=cast.memberships["alice"]).incident
    with pytest.raises(ValidationError, match="Nobody has acknowledged"):
        incident_close(membership=cast.memberships["sam"], incident=incident, review_note="ok")
    escalation_acknowledge(membership=cast.memberships["tom"], incident=incident)
    with pytest.raises(ValidationError):
        incident_action_record(
            membership=cast.memberships["tom"], incident=incident, action="prayed"
        )
    with pytest.raises(PermissionDenied):
        incident_action_record(
            membership=cast.memberships["ada"], incident=incident, action="other"
        )
    incident_action_record(
        membership=cast.memberships["tom"],
        incident=incident,
        action="emergency_services",
        note="Ambulance on its way",
    )
    with pytest.raises(PermissionDenied):
        incident_close(membership=cast.memberships["tom"], incident=incident, review_note="ok")
    with pytest.raises(ValidationError):
        incident_close(membership=cast.memberships["sam"], incident=incident, review_note=" ")
    incident_close(
        membership=cast.memberships["sam"], incident=incident, review_note="Handled well"
    )
    with pytest.raises(ValidationError, match="already closed"):
        incident_close(membership=cast.memberships["sam"], incident=incident, review_note="x")
    with pytest.raises(ValidationError, match="closed"):
        incident_action_record(
            membership=cast.memberships["tom"], incident=incident, action="other"
        )
    kinds = list(incident.steps.values_list("kind", flat=True))
    assert kinds == ["opened", "alerted", "acknowledged", "action", "closed"]
    times = list(incident.steps.values_list("at", flat=True))
    assert times == sorted(times)
    audited = AuditEvent.objects.filter(object_type="incident", object_id=str(incident.pk))
    assert list(audited.order_by("seq").values_list("action", "changes")) == [
        ("incident.open", {"kind": "help_request", "client_id": cast.records["alice"].pk}),
        ("incident.acknowledged", {}),
        ("incident.action", {"action": "emergency_services"}),
        ("incident.closed", {}),
    ]


@pytest.mark.parametrize(
    ("persona", "change", "field"),
    [
        ("alice", {}, "starts_at"),  # naive times
        ("cora", {}, "starts_at"),
        ("ada", {"hours": -1}, "ends_at"),
        ("ada", {"hours": 200}, "ends_at"),
        ("ada", {"position": 0}, "position"),
        ("ada", {"clinician": "olive"}, "clinician"),
        ("ada", {"clinician": "alice"}, "clinician"),
        ("ada", {"past": True}, "ends_at"),
    ],
)
def test_bad_shifts_are_refused(cast: Cast, persona: str, change: dict, field: str) -> None:
    now = timezone.now()
    starts = now - timedelta(days=2) if change.get("past") else now
    ends = starts + timedelta(hours=change.get("hours", 8))
    if change.get("past"):
        ends = now - timedelta(days=1)
    if persona in ("alice", "cora"):
        with pytest.raises(PermissionDenied):
            duty_shift_add(
                membership=cast.memberships[persona],
                clinician=cast.memberships["tom"],
                starts_at=starts,
                ends_at=ends,
            )
    else:
        with pytest.raises(ValidationError) as caught:
            duty_shift_add(
                membership=cast.memberships[persona],
                clinician=cast.memberships[change.get("clinician", "tom")],
                starts_at=starts,
                ends_at=ends,
                position=change.get("position", 1),
            )
        assert field in caught.value.message_dict
    with pytest.raises(ValidationError):
        duty_shift_add(
            membership=cast.memberships["ada"],
            clinician=cast.memberships["tom"],
            starts_at=starts.replace(tzinfo=None),
            ends_at=ends.replace(tzinfo=None),
        )
    assert not DutyShift.objects.exists()


def test_policy_rules(cast: Cast) -> None:
    for minutes in (0, 61):
        with pytest.raises(ValidationError):
            escalation_policy_update(
                membership=cast.memberships["ada"], ack_minutes=minutes, service_lead=None
            )
    with pytest.raises(ValidationError):
        escalation_policy_update(
            membership=cast.memberships["ada"],
            ack_minutes=5,
            service_lead=cast.memberships["olive"],
        )
    with pytest.raises(PermissionDenied):
        escalation_policy_update(
            membership=cast.memberships["sam"], ack_minutes=3, service_lead=None
        )
    escalation_policy_update(membership=cast.memberships["ada"], ack_minutes=2, service_lead=None)
    incident = help_request_raise(membership=cast.memberships["alice"]).incident
    assert incident.ack_due_at == incident.opened_at + timedelta(minutes=2)


def test_the_worker_runs_escalations() -> None:
    assert "escalations" in [job.name for job in JOBS]


def test_help_pages_and_the_incident_page(cast: Cast, as_persona: Any) -> None:
    alice = as_persona("alice")
    home = alice.get("/").content.decode()
    assert "I need help now" in home and 'action="/safety/help/"' in home
    page = alice.get("/safety/help/").content.decode()
    assert "999" in page and "Samaritans" in page and not Incident.objects.exists()
    pressed = alice.post("/safety/help/").content.decode()
    assert "have been alerted" in pressed and "999" in pressed
    incident = Incident.objects.get()
    url = f"/safety/incidents/{incident.pk}/"
    tom = as_persona("tom")
    assert "Acknowledge" in tom.get(url).content.decode()
    assert tom.post(url, {"do": "acknowledge"}).status_code == 302
    again = tom.post(url, {"do": "acknowledge"}, follow=True).content.decode()
    assert "Already acknowledged" in again
    assert as_persona("theo").get(url).status_code == 404
    assert as_persona("sam").get(url).status_code == 200  # supervisors review
    listed = tom.get("/safety/incidents/").content.decode()
    assert f'href="{url}"' in listed


def test_the_rota_page(cast: Cast, as_persona: Any) -> None:
    ada = as_persona("ada")
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    response = ada.post(
        "/safety/rota/",
        {
            "action": "add",
            "clinician": cast.memberships["theo"].pk,
            "starts_at": f"{tomorrow}T09:00",
            "ends_at": f"{tomorrow}T17:00",
            "position": 1,
        },
    )
    assert response.status_code == 302
    shift = DutyShift.objects.get()
    local = shift.starts_at.astimezone(ZoneInfo(cast.users["ada"].time_zone))
    assert (local.strftime("%Y-%m-%d"), local.hour, local.minute) == (tomorrow, 9, 0)
    bad = ada.post(
        "/safety/rota/",
        {
            "action": "add",
            "clinician": cast.memberships["theo"].pk,
            "starts_at": f"{tomorrow}T17:00",
            "ends_at": f"{tomorrow}T09:00",
            "position": 1,
        },
    )
    assert "ends after it starts" in bad.content.decode()
    assert (
        as_persona("tom").post("/safety/rota/", {"action": "remove", "shift": shift.pk}).status_code
        == 403
    )
    assert "Theo Okafor" in as_persona("tom").get("/safety/rota/").content.decode()
    assert ada.post("/safety/rota/", {"action": "remove", "shift": shift.pk}).status_code == 302
    assert not DutyShift.objects.exists()
