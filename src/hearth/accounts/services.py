"""Writes about people and their roles: invitations, registration, memberships."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hearth.accounts.models import STAFF_ROLES, Invitation, Membership, Organisation, Role, User
from hearth.governance.audit import audit_record

EMAIL_TAKEN_CODE = "email_taken"
EMAIL_TAKEN_MESSAGE = "An account with this email already exists."


def _verified_email(user: User) -> None:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, email: str, role: str, invited_by: User
) -> tuple[Invitation, str]:
    """Invite a member of staff. Returns the invitation and the token to send."""
    email = email.strip().lower()
    if role not in STAFF_ROLES:
        raise ValidationError({"role": "Invitations are for staff roles only."})
    if Membership.objects.filter(organisation=organisation, user__email=email).exists():
        raise ValidationError({"email": "This person is already a member of the organisation."})
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.HEARTH_INVITATION_DAYS),
    )
    audit_record(
        actor=invited_by,
        organisation_id=organisation.pk,
        action="invitation.create",
        object_type="invitation",
        object_id=invitation.pk,
        changes={"email": email, "role": role},
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError("This invitation has already been accepted.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        organisation_id=invitation.organisation_id,
        action="invitation.revoke",
        object_type="invitation",
        object_id=invitation.pk,
    )


def invitation_check(invitation: Invitation | None) -> Invitation:
    """Raise a plain-language error unless the invitation can still be accepted."""
    if invitation is None or invitation.revoked_at is not None:
        raise ValidationError("This invitation link is not valid. Ask your service admin again.")
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used. Sign in instead.")
    if invitation.expires_at <= timezone.now():
        raise ValidationError(
            "This invitation has expired. Ask your service admin to send a new one."
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, full_name: str, password: str, user: User | None = None
) -> Membership:
    """Accept an invitation as a new user (with password) or as the signed-in ``user``."""
    invitation = invitation_check(Invitation.objects.select_for_update().get(pk=invitation.pk))
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise ValidationError("An account with this email exists: sign in, then accept.")
        user = User.objects.create_user(invitation.email, password, full_name=full_name)
    elif user.email != invitation.email:
        raise ValidationError("This invitation was sent to a different email address.")
    elif Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
        # One role per person per organisation: say so rather than fail on the constraint.
        raise ValidationError(
            f"You are already a member of {invitation.organisation.name}. Ask your service "
            "admin to change your role instead."
        )
    # Following the emailed link proves the address.
    _verified_email(user)
    membership = Membership.objects.create(
        user=user, organisation=invitation.organisation, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        actor=user,
        organisation_id=invitation.organisation_id,
        action="invitation.accept",
        object_type="membership",
        object_id=membership.pk,
        changes={"role": invitation.role},
    )
    return membership


@transaction.atomic
def client_register(
    *, organisation: Organisation, email: str, password: str, full_name: str
) -> User:
    """Self-registration of a client, where the organisation allows it.

    The new user must verify their email address before they can sign in.
    """
    if not organisation.allow_client_self_registration:
        raise ValidationError("This service does not take online registrations.")
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError(
            {"email": ValidationError(EMAIL_TAKEN_MESSAGE, code=EMAIL_TAKEN_CODE)}
        )
    user = User.objects.create_user(email, password, full_name=full_name)
    EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    membership = Membership.objects.create(user=user, organisation=organisation, role=Role.CLIENT)
    # Imported here: clients depends on accounts, not the other way round.
    from hearth.clients.services import client_record_create

    given, _, family = full_name.strip().partition(" ")
    client_record_create(
        membership=None,
        organisation=organisation,
        user=user,
        given_name=given or full_name,
        family_name=family,
        email=email,
        actor=user,
    )
    audit_record(
        actor=user,
        organisation_id=organisation.pk,
        action="client.self_register",
        object_type="membership",
        object_id=membership.pk,
    )
    return user


@transaction.atomic
def organisation_update(
    *,
    membership: Membership,
    name: str,
    allow_client_self_registration: bool,
    staff_idle_minutes: int | None,
) -> Organisation:
    """A service admin changes their organisation's settings."""
    if membership.role != Role.SERVICE_ADMIN:
        raise PermissionError("Only service admins change organisation settings.")
    if not name.strip():
        raise ValidationError({"name": "Give the organisation a name."})
    if staff_idle_minutes is not None and not 5 <= staff_idle_minutes <= 120:
        raise ValidationError({"staff_idle_minutes": "Between 5 and 120 minutes, or blank."})
    organisation = Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    new = {
        "name": name.strip(),
        "allow_client_self_registration": allow_client_self_registration,
        "staff_idle_minutes": staff_idle_minutes,
    }
    changes = {
        key: [str(getattr(organisation, key)), str(value)]
        for key, value in new.items()
        if getattr(organisation, key) != value
    }
    for key, value in new.items():
        setattr(organisation, key, value)
    organisation.save()
    if changes:
        audit_record(
            actor=membership.user,
            organisation_id=organisation.pk,
            action="organisation.update",
            object_type="organisation",
            object_id=organisation.pk,
            changes=changes,
        )
    return organisation
