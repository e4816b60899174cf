"""50 simultaneous bookings of one slot: exactly one succeeds, 49 get a clear 409.

Runs on whichever database the suite uses; ``make test`` runs the tests marked
``both_databases`` a second time on SQLite when the suite itself ran on PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from hearth.accounts.personas import Cast
from hearth.clients.models import ClientRecord
from hearth.scheduling.models import HOLDS_SLOT, Appointment, ServiceType
from tests.scheduling.conftest import utc

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.both_databases]

SLOT = utc(2027, 1, 11, 10)  # a Monday, 10:00 in London (GMT)
RACERS = 50


def test_fifty_bookings_of_one_slot(cast: Cast, services: dict[str, ServiceType]) -> None:
    riverside = cast.organisations["riverside"]
    clients = [
        ClientRecord.objects.create(
            organisation=riverside,
            therapist=cast.users["tom"],
            given_name=f"C{i}",
            family_name="Racer",
        )
        for i in range(RACERS)
    ]
    sessions = []
    for _ in range(RACERS):
        client = Client()
        client.force_login(cast.users["tom"])
        sessions.append(client)
    start = threading.Barrier(RACERS)

    def book(i: int) -> tuple[int, dict[str, object]]:
        try:
            start.wait(timeout=30)
            response = sessions[i].post(
                "/api/v1/appointments/",
                {
                    "client_id": clients[i].pk,
                    "therapist_id": cast.users["tom"].pk,
                    "service_type_id": services["Treatment"].pk,
                    "modality": "video",
                    "starts_at": SLOT.isoformat(),
                    # New clients, not yet assessed for remote sessions.
                    "suitability_reason": "Assessment at the first session",
                },
                content_type="application/json",
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(book, range(RACERS)))

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == RACERS - 1, statuses
    for status, body in results:
        if status == 409:
            assert "already booked" in str(body["detail"]), body
    held = Appointment.objects.filter(therapist=cast.users["tom"], status__in=HOLDS_SLOT)
    assert held.count() == 1
    assert held.get().starts_at == SLOT
