"""Reads about people and their roles."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from hearth.accounts.models import STAFF_ROLES, Invitation, Membership, Organisation, User
from hearth.governance.audit import audit_record


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def user_has_staff_role(user: User) -> bool:
    return Membership.objects.active().filter(user=user, role__in=STAFF_ROLES).exists()


def user_has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def organisation_by_slug(slug: str) -> Organisation | None:
    return Organisation.objects.filter(slug=slug).first()


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )


def staff_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation, role__in=STAFF_ROLES)
        .select_related("user", "supervisor__user")
        .order_by("user__full_name", "user__email")
    )


def audit_denied(membership: Membership | None, *, object_type: str, object_id: object) -> None:
    """Record a refused or missing object as a security event (the caller then 404s)."""
    audit_record(
        actor=membership.user if membership else None,
        organisation_id=membership.organisation_id if membership else None,
        action="access.denied",
        object_type=object_type,
        object_id=object_id,
    )
