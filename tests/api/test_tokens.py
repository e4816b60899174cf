"""API tokens: made on the tokens page, shown once, stored as a hash, scoped, revocable."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hearth.accounts.personas import Cast
from hearth.api.models import ApiToken
from hearth.clients.models import ClientRecord
from hearth.governance.models import AuditEvent
from tests.api.conftest import BearerFactory

KEY = re.compile(r"hth_[A-Za-z0-9_\-]{20,}")


def _create_on_page(client: Client, name: str, scopes: list[str]) -> tuple[int, str]:
    response = client.post(reverse("api_tokens"), {"name": name, "scopes": scopes})
    return response.status_code, response.content.decode()


def _detail(response) -> str:  # type: ignore[no-untyped-def]
    return str(json.loads(response.content)["detail"])


def test_tom_creates_a_token_shown_once_and_stored_only_as_its_hash(cast: Cast, as_persona) -> None:
    page = as_persona("tom")
    status, html = _create_on_page(page, "reporting", ["clinical:read"])
    assert status == 200
    keys = KEY.findall(html)
    assert len(keys) == 1, "the new key is shown exactly once on the page"
    key = keys[0]

    token = ApiToken.objects.get(membership=cast.memberships["tom"])
    assert token.name == "reporting"
    assert token.scopes == ["clinical:read"]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(key in value for value in stored), "the key itself is never stored"
    assert key.startswith(token.prefix) and len(token.prefix) < len(key)
    assert token.expires_at is not None
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(token.pk)).exists()

    # Shown once: the list shows the prefix, never the key again.
    again = page.get(reverse("api_tokens")).content.decode()
    assert key not in again
    assert token.prefix in again

    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    me = api.get(reverse("api_me"))
    assert me.status_code == 200
    body = json.loads(me.content)
    assert body["email"] == cast.users["tom"].email
    assert body["active_membership"]["role"] == "therapist"
    assert body["active_membership"]["organisation_id"] == cast.organisations["riverside"].pk

    clients = api.get(reverse("api_client_list"))
    assert clients.status_code == 200
    ids = [r["id"] for r in json.loads(clients.content)["results"]]
    assert ids == [cast.records["alice"].pk]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_read_only_token_cannot_write(cast: Cast, bearer: BearerFactory) -> None:
    api = bearer("tom", ["clinical:read"])
    before = ClientRecord.objects.count()
    created = api.post(
        reverse("api_client_list"),
        {"given_name": "New", "family_name": "Person"},
        content_type="application/json",
    )
    assert created.status_code == 403
    assert "clinical:write" in _detail(created)
    assert ClientRecord.objects.count() == before

    record = cast.records["alice"]
    url = reverse("api_client_detail", kwargs={"record_id": record.pk})
    patched = api.patch(url, {"preferred_name": "Al"}, content_type="application/json")
    assert patched.status_code == 403
    assert "clinical:write" in _detail(patched)
    record.refresh_from_db()
    assert record.preferred_name == ""
    # Refused before the record was touched: no edit access was audited.
    assert not AuditEvent.objects.filter(action="client_record.edit_view").exists()


def test_a_write_token_writes_without_csrf(cast: Cast, bearer: BearerFactory) -> None:
    """Bearer requests are not cookie-borne, so they need (and get) no CSRF token."""
    api = bearer("tom", ["clinical:read", "clinical:write"])
    api.handler.enforce_csrf_checks = True
    created = api.post(
        reverse("api_client_list"),
        {"given_name": "Nadia", "family_name": "Novak", "therapist_id": cast.users["tom"].pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    record = ClientRecord.objects.get(pk=json.loads(created.content)["id"])
    assert (record.given_name, record.therapist_id) == ("Nadia", cast.users["tom"].pk)


def test_a_write_only_token_cannot_read(cast: Cast, bearer: BearerFactory) -> None:
    response = bearer("tom", ["clinical:write"]).get(reverse("api_client_list"))
    assert response.status_code == 403
    assert "clinical:read" in _detail(response)


def test_revoked_token_is_refused_with_its_own_message(cast: Cast, as_persona) -> None:
    page = as_persona("tom")
    _, html = _create_on_page(page, "to revoke", ["clinical:read"])
    key = KEY.findall(html)[0]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get(reverse("api_me")).status_code == 200

    token = ApiToken.objects.get(membership=cast.memberships["tom"])
    revoked = page.post(reverse("api_token_revoke", kwargs={"token_id": token.pk}))
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()

    response = api.get(reverse("api_me"))
    assert response.status_code == 401
    assert _detail(response) == "This API token has been revoked."
    assert response["WWW-Authenticate"] == "Bearer"


def test_nobody_revokes_another_persons_token(cast: Cast, as_persona) -> None:
    page = as_persona("tom")
    _create_on_page(page, "tom's", ["clinical:read"])
    token = ApiToken.objects.get(membership=cast.memberships["tom"])
    response = as_persona("theo").post(reverse("api_token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expired_token_is_refused_with_its_own_message(cast: Cast, bearer: BearerFactory) -> None:
    api = bearer("tom", ["clinical:read"])
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get(reverse("api_me"))
    assert response.status_code == 401
    assert _detail(response) == "This API token has expired."


def test_malformed_and_unknown_tokens_are_refused(cast: Cast) -> None:
    cases = {
        "Bearer not-a-hearth-token": "Malformed API token.",
        "Bearer hth_" + "x" * 43: "Invalid API token.",
        "Bearer ": "Malformed API token.",
    }
    for header, message in cases.items():
        response = Client(HTTP_AUTHORIZATION=header).get(reverse("api_me"))
        assert response.status_code == 401, header
        assert _detail(response) == message, header
    # No credentials at all on the API: 401 (an API does not redirect to sign-in).
    assert Client().get(reverse("api_me")).status_code == 401


def test_token_of_a_deactivated_membership_stops_working(cast: Cast, bearer: BearerFactory) -> None:
    api = bearer("tom", ["clinical:read"])
    assert api.get(reverse("api_client_list")).status_code == 200
    membership = cast.memberships["tom"]
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    response = api.get(reverse("api_client_list"))
    assert response.status_code == 401
    assert _detail(response) == "The token's account is no longer active."


def test_token_of_a_deactivated_user_stops_working(cast: Cast, bearer: BearerFactory) -> None:
    api = bearer("theo", ["clinical:read"])
    user = cast.users["theo"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api.get(reverse("api_me")).status_code == 401


def test_a_client_cannot_create_tokens(cast: Cast, as_persona) -> None:
    status, _ = _create_on_page(as_persona("alice"), "mine", ["clinical:read"])
    assert status == 403
    assert not ApiToken.objects.exists()


def test_scopes_beyond_the_role_are_refused(cast: Cast, as_persona) -> None:
    status, html = _create_on_page(as_persona("tom"), "audit", ["clinical:read", "audit:read"])
    assert status == 400
    assert "Your role cannot grant: audit:read." in html
    assert not KEY.search(html)
    assert not ApiToken.objects.exists()


def test_bad_token_requests_are_refused_and_create_nothing(cast: Cast, as_persona) -> None:
    page = as_persona("tom")
    for scopes, message in [
        ([], "Choose at least one scope."),
        (["clinical:everything"], "Your role cannot grant: clinical:everything."),
    ]:
        status, html = _create_on_page(page, "x", scopes)
        assert status == 400
        assert message in html
    status, html = _create_on_page(page, "n" * 101, ["clinical:read"])
    assert status == 400
    assert "Use at most 100 characters for the name." in html
    assert not ApiToken.objects.exists()


def test_audit_scope_for_the_service_admin(cast: Cast, bearer: BearerFactory) -> None:
    with_audit = bearer("ada", ["audit:read"])
    events = with_audit.get(reverse("api_audit_events"))
    assert events.status_code == 200
    actions = {e["action"] for e in json.loads(events.content)["results"]}
    assert "api_token.create" in actions
    # A token without audit:read does not open the audit log, even for an admin.
    without = bearer("ada", ["clinical:read"]).get(reverse("api_audit_events"))
    assert without.status_code == 403
    assert "audit:read" in _detail(without)
    # And a therapist's token never does, whatever its scopes.
    tom = bearer("tom", ["clinical:read"]).get(reverse("api_audit_events"))
    assert tom.status_code == 403
