"""Service admins switch client self-registration and set the staff idle timeout."""

from __future__ import annotations

from typing import Any

from hearth.accounts.models import Organisation
from hearth.accounts.personas import Cast
from hearth.governance.models import AuditEvent


def test_admin_switches_self_registration_off_and_on(
    cast: Cast, as_persona: Any, client: Any
) -> None:
    ada = as_persona("ada")
    page = ada.get("/settings/organisation/").content.decode()
    assert "/join/riverside/" in page
    response = ada.post(
        "/settings/organisation/",
        {"name": "Riverside Talking Therapies", "staff_idle_minutes": "20"},
    )
    assert response.status_code == 302
    riverside = Organisation.objects.get(slug="riverside")
    assert riverside.allow_client_self_registration is False
    assert riverside.staff_idle_minutes == 20
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.changes["allow_client_self_registration"] == ["True", "False"]
    # Registration is now closed: the page says so and a POST creates nothing.
    assert "does not take online registrations" in client.get("/join/riverside/").content.decode()
    ada.post(
        "/settings/organisation/",
        {"name": "Riverside Talking Therapies", "allow_client_self_registration": "on"},
    )
    riverside.refresh_from_db()
    assert riverside.allow_client_self_registration is True
    assert riverside.staff_idle_minutes is None


def test_bad_values_change_nothing_and_others_may_not(cast: Cast, as_persona: Any) -> None:
    ada = as_persona("ada")
    for data, error in [
        ({"name": "", "staff_idle_minutes": "20"}, "This field is required"),
        ({"name": "X", "staff_idle_minutes": "2"}, "greater than or equal to 5"),
    ]:
        response = ada.post("/settings/organisation/", data)
        assert response.status_code == 200 and error in response.content.decode()
    riverside = Organisation.objects.get(slug="riverside")
    assert (riverside.name, riverside.staff_idle_minutes) == ("Riverside Talking Therapies", None)
    for persona in ("tom", "alice", "cora", "olive"):
        assert as_persona(persona).get("/settings/organisation/").status_code == 403
