"""/api/v1/clients/: who sees which records, what they see, what is audited, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from hearth.accounts.personas import CASELOAD, Cast
from hearth.clients.models import ClientRecord
from hearth.governance.models import AuditEvent

LIST = "/api/v1/clients/"


def detail_url(record_id: int) -> str:
    return reverse("api_client_detail", kwargs={"record_id": record_id})


def ids_seen(client: Client) -> set[int]:
    response = client.get(LIST)
    assert response.status_code == 200
    return {r["id"] for r in json.loads(response.content)["results"]}


def post_json(client: Client, data: Any) -> Any:
    return client.post(LIST, json.dumps(data), content_type="application/json")


def test_each_clinician_lists_only_their_caseload(cast: Cast, as_persona) -> None:
    alice, charlie = cast.records["alice"].pk, cast.records["charlie"].pk
    assert ids_seen(as_persona("tom")) == {alice}
    assert ids_seen(as_persona("theo")) == {charlie}
    assert ids_seen(as_persona("sam")) == {alice}  # supervises Tom, not Theo
    assert ids_seen(as_persona("ada")) == {alice, charlie}
    assert ids_seen(as_persona("olive")) == set()  # another organisation


def test_the_list_carries_no_clinical_text(cast: Cast, as_persona) -> None:
    response = as_persona("tom").get(LIST)
    (row,) = json.loads(response.content)["results"]
    assert "presenting_summary" not in row
    assert row["given_name"] == "Alice"


def test_a_record_outside_the_caseload_looks_missing(cast: Cast, as_persona) -> None:
    tom = as_persona("tom")
    forbidden = tom.get(detail_url(cast.records["charlie"].pk))
    missing_id = ClientRecord.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    missing = tom.get(detail_url(missing_id))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    # The refused attempt is audited as a security event.
    assert AuditEvent.objects.filter(
        action="access.denied",
        object_id=str(cast.records["charlie"].pk),
        actor_id=cast.users["tom"].pk,
    ).exists()


def test_clinical_text_only_for_clinicians(cast: Cast, as_persona) -> None:
    url = detail_url(cast.records["alice"].pk)
    as_admin = as_persona("ada").get(url)
    assert as_admin.status_code == 200
    admin_view = json.loads(as_admin.content)
    assert admin_view["given_name"] == "Alice"
    assert "presenting_summary" not in admin_view
    assert CASELOAD["alice"][1] not in as_admin.content.decode()

    as_therapist = json.loads(as_persona("tom").get(url).content)
    assert as_therapist["presenting_summary"] == CASELOAD["alice"][1]
    as_supervisor = json.loads(as_persona("sam").get(url).content)
    assert as_supervisor["presenting_summary"] == CASELOAD["alice"][1]


def test_every_read_of_a_record_is_audited(cast: Cast, as_persona) -> None:
    record = cast.records["alice"]
    views = AuditEvent.objects.filter(action="client_record.view", object_id=str(record.pk))
    before = views.count()
    for persona in ["tom", "tom", "ada"]:
        assert as_persona(persona).get(detail_url(record.pk)).status_code == 200
    assert views.count() == before + 3
    actors = list(views.order_by("-seq").values_list("actor_id", flat=True)[:3])
    assert actors == [cast.users[p].pk for p in ["ada", "tom", "tom"]]


def test_roles_without_records_are_refused(cast: Cast, as_persona) -> None:
    for persona in ["cora", "alice", "charlie"]:
        response = as_persona(persona).get(LIST)
        assert response.status_code == 403, persona
        assert json.loads(response.content)["detail"] == "Your role cannot use this endpoint."
        assert as_persona(persona).get(detail_url(cast.records["alice"].pk)).status_code == 403


def test_another_organisation_sees_nothing(cast: Cast, as_persona) -> None:
    olive = as_persona("olive")
    for key in ["alice", "charlie"]:
        assert olive.get(detail_url(cast.records[key].pk)).status_code == 404
        patched = olive.patch(
            detail_url(cast.records[key].pk),
            {"preferred_name": "x"},
            content_type="application/json",
        )
        assert patched.status_code == 404
        cast.records[key].refresh_from_db()
        assert cast.records[key].preferred_name == ""


def test_anonymous_gets_401(cast: Cast, client: Client) -> None:
    assert client.get(LIST).status_code == 401
    assert client.get(detail_url(cast.records["alice"].pk)).status_code == 401


def test_tom_adds_a_client(cast: Cast, as_persona) -> None:
    response = post_json(
        as_persona("tom"),
        {
            "given_name": " Dana ",
            "family_name": "Doyle",
            "email": "Dana@Example.org",
            "therapist_id": cast.users["tom"].pk,
            "presenting_summary": "Grief after a bereavement.",
        },
    )
    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    record = ClientRecord.objects.get(pk=body["id"])
    assert record.organisation == cast.organisations["riverside"]
    assert (record.given_name, record.email) == ("Dana", "dana@example.org")
    assert record.presenting_summary == "Grief after a bereavement."
    assert body["presenting_summary"] == "Grief after a bereavement."
    assert AuditEvent.objects.filter(action="client_record.create", object_id=str(record.pk))


def _bad_inputs(cast: Cast) -> list[tuple[str, Any, str]]:
    """(case, JSON body, field named in the 400)."""
    ok = {"given_name": "Eve", "family_name": "Evans"}

    def therapist(value: object) -> dict[str, object]:
        return {**ok, "therapist_id": value}

    return [
        ("missing given_name", {"family_name": "Evans"}, "given_name"),
        ("blank given_name", {**ok, "given_name": "   "}, "given_name"),
        ("over-long given_name", {**ok, "given_name": "E" * 101}, "given_name"),
        ("over-long family_name", {**ok, "family_name": "E" * 101}, "family_name"),
        ("bad email", {**ok, "email": "not-an-email"}, "email"),
        ("therapist from another org", therapist(cast.users["olive"].pk), "therapist_id"),
        ("a client as therapist", therapist(cast.users["alice"].pk), "therapist_id"),
        ("a commissioner as therapist", therapist(cast.users["cora"].pk), "therapist_id"),
        ("unknown therapist", therapist(10**9), "therapist_id"),
        ("therapist_id not a number", therapist("tom"), "therapist_id"),
        ("a list, not an object", [ok], "non_field_errors"),
    ]


def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(cast: Cast, as_persona) -> None:
    tom = as_persona("tom")
    before = ClientRecord.objects.count()
    for case, body, field in _bad_inputs(cast):
        response = post_json(tom, body)
        assert response.status_code == 400, (case, response.content)
        errors = json.loads(response.content)
        assert field in errors, (case, errors)
        assert errors[field] and all(isinstance(m, str) and m for m in errors[field]), case
    assert ClientRecord.objects.count() == before


def test_malformed_json_is_a_400(cast: Cast, as_persona) -> None:
    before = ClientRecord.objects.count()
    response = as_persona("tom").post(
        LIST, '{"given_name": "Eve", "family_name":', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in json.loads(response.content)["detail"]
    assert ClientRecord.objects.count() == before


def test_an_admin_cannot_write_clinical_text(cast: Cast, as_persona) -> None:
    before = ClientRecord.objects.count()
    body = {"given_name": "Eve", "family_name": "Evans", "presenting_summary": "Anything."}
    response = post_json(as_persona("ada"), body)
    assert response.status_code == 400
    assert "presenting_summary" in json.loads(response.content)
    assert ClientRecord.objects.count() == before

    record = cast.records["alice"]
    patched = as_persona("ada").patch(
        detail_url(record.pk), {"presenting_summary": "Changed."}, content_type="application/json"
    )
    assert patched.status_code == 400
    assert "presenting_summary" in json.loads(patched.content)
    record.refresh_from_db()
    assert record.presenting_summary == CASELOAD["alice"][1]


def test_patch_changes_what_it_names_and_refuses_bad_therapists(cast: Cast, as_persona) -> None:
    tom = as_persona("tom")
    record = cast.records["alice"]
    ok = tom.patch(
        detail_url(record.pk), {"preferred_name": "Ali"}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert json.loads(ok.content)["preferred_name"] == "Ali"
    record.refresh_from_db()
    assert (record.preferred_name, record.family_name) == ("Ali", "Ashworth")
    update = AuditEvent.objects.get(action="client_record.update", object_id=str(record.pk))
    assert update.changes == {"preferred_name": ["", "Ali"]}

    bad = tom.patch(
        detail_url(record.pk),
        {"therapist_id": cast.users["olive"].pk},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "therapist_id" in json.loads(bad.content)
    record.refresh_from_db()
    assert record.therapist_id == cast.users["tom"].pk
    too_long = tom.patch(
        detail_url(record.pk), {"family_name": "x" * 101}, content_type="application/json"
    )
    assert too_long.status_code == 400
    assert "family_name" in json.loads(too_long.content)


@pytest.fixture
def csrf_client(cast: Cast) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.users["tom"])
    return client


def test_session_writes_need_the_csrf_token(cast: Cast, csrf_client: Client) -> None:
    record = cast.records["alice"]
    before = ClientRecord.objects.count()
    body = {"given_name": "Eve", "family_name": "Evans"}
    refused = csrf_client.post(LIST, json.dumps(body), content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in json.loads(refused.content)["detail"]
    patched = csrf_client.patch(
        detail_url(record.pk), {"preferred_name": "x"}, content_type="application/json"
    )
    assert patched.status_code == 403
    assert ClientRecord.objects.count() == before
    record.refresh_from_db()
    assert record.preferred_name == ""

    # With the token from a page, the same request goes through (the refusal was CSRF).
    assert csrf_client.get("/").status_code == 200
    token = csrf_client.cookies["csrftoken"].value
    accepted = csrf_client.post(
        LIST, json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content
    assert ClientRecord.objects.count() == before + 1


def test_page_size_is_capped(cast, as_persona) -> None:
    from hearth.clients.models import ClientRecord

    riverside = cast.organisations["riverside"]
    ClientRecord.objects.bulk_create(
        ClientRecord(
            organisation=riverside,
            therapist=cast.users["tom"],
            given_name=f"P{i}",
            family_name="Page",
        )
        for i in range(205)
    )
    body = as_persona("tom").get("/api/v1/clients/?limit=100000").json()
    assert body["count"] == 206
    assert len(body["results"]) == 200
