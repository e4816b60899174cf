from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import Membership, Role
from hearth.api.models import TOKEN_NAME_MAX_LENGTH, ApiToken, Scope
from hearth.governance.audit import audit_record


def scopes_allowed(membership: Membership) -> set[str]:
    if membership.role == Role.SERVICE_ADMIN:
        return {Scope.CLINICAL_READ, Scope.CLINICAL_WRITE, Scope.AUDIT_READ}
    if membership.role in {Role.THERAPIST, Role.SUPERVISOR}:
        return {Scope.CLINICAL_READ, Scope.CLINICAL_WRITE}
    return set()


@transaction.atomic
def api_token_create(
    *, membership: Membership, name: str, scopes: list[str], days: int | None = 90
) -> tuple[ApiToken, str]:
    """Create a token; the key is returned once and only its hash is kept."""
    name = name.strip()
    if len(name) > TOKEN_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": f"Use at most {TOKEN_NAME_MAX_LENGTH} characters for the name."}
        )
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    refused = set(scopes) - scopes_allowed(membership)
    if refused:
        raise ValidationError({"scopes": f"Your role cannot grant: {', '.join(sorted(refused))}."})
    key, key_hash = ApiToken.new_key()
    token = ApiToken.objects.create(
        membership=membership,
        name=name or "API token",
        prefix=key[:10],
        key_hash=key_hash,
        scopes=sorted(scopes),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit_record(
        actor=membership.user,
        organisation_id=membership.organisation_id,
        action="api_token.create",
        object_type="api_token",
        object_id=token.pk,
        changes={"scopes": token.scopes, "expires_at": str(token.expires_at)},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, membership: Membership, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, membership=membership).first()
    if token is None:
        raise ValidationError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=membership.user,
            organisation_id=membership.organisation_id,
            action="api_token.revoke",
            object_type="api_token",
            object_id=token.pk,
        )
    return token
