"""Pages and endpoints that list clinical objects leave one audit event per read."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent


@pytest.mark.parametrize(
    ("persona", "path", "action"),
    [
        ("tom", "/clients/", "client_record.list"),
        ("tom", "/api/v1/clients/", "client_record.list"),
        ("tom", "/calendar/", "appointment.list"),
        ("alice", "/appointments/", "appointment.list"),
        ("tom", "/api/v1/appointments/", "appointment.list"),
        ("ada", "/waitlist/", "waitlist_entry.list"),
        ("tom", "/messages/", "message_thread.list"),
        ("sam", "/safety/incidents/", "incident.list"),
        ("sam", "/api/v1/incidents/", "incident.list"),
        ("tom", "/api/v1/suitability/reviews-due/", "suitability.list"),
    ],
)
def test_list_read_is_audited(
    cast: Cast, route_samples: dict[str, Any], as_persona: Any, persona: str, path: str, action: str
) -> None:
    before = AuditEvent.objects.filter(action=action).count()
    assert as_persona(persona).get(path).status_code == 200
    events = AuditEvent.objects.filter(action=action).order_by("-seq")
    assert events.count() == before + 1
    assert events[0].actor_id == cast.users[persona].pk
    assert events[0].organisation_id == cast.organisations["riverside"].pk
