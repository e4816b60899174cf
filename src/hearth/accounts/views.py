from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from hearth.accounts.decorators import member_required, public, signed_in
from hearth.accounts.forms import (
    ClientRegistrationForm,
    InvitationAcceptForm,
    InvitationForm,
    OrganisationForm,
)
from hearth.accounts.models import Invitation, Role
from hearth.accounts.notifications import send_invitation
from hearth.accounts.selectors import invitation_by_token, organisation_by_slug, staff_of
from hearth.accounts.services import (
    EMAIL_TAKEN_CODE,
    client_register,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_revoke,
    organisation_update,
)


def _is_email_taken(exc: ValidationError) -> bool:
    errors = exc.error_dict.get("email", []) if hasattr(exc, "error_dict") else []
    return any(error.code == EMAIL_TAKEN_CODE for error in errors)


def _form_error(form: object, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]
    else:
        form.add_error(None, exc)  # type: ignore[attr-defined]


@signed_in
def account_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/settings.html")


@member_required(Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = invitation_create(
                organisation=membership.organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            send_invitation(request, invitation, token)
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("staff_list")
    invitations = Invitation.objects.filter(
        organisation=membership.organisation, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")
    return render(
        request,
        "accounts/staff_list.html",
        {"staff": staff_of(membership.organisation), "invitations": invitations, "form": form},
    )


@member_required(Role.SERVICE_ADMIN)
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    invitation = Invitation.objects.filter(
        pk=invitation_id, organisation=membership.organisation
    ).first()
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        invitation_revoke(invitation=invitation, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("staff_list")


@public
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    try:
        invitation = invitation_check(invitation)
    except ValidationError as exc:
        return render(
            request, "accounts/invitation_invalid.html", {"error": exc.messages[0]}, status=410
        )
    signed_in_user = request.user if request.user.is_authenticated else None
    form = (
        InvitationAcceptForm(request.POST or None, email=invitation.email)
        if signed_in_user is None
        else None
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"] if form else "",
                password=form.cleaned_data["password1"] if form else "",
                user=signed_in_user,
            )
        except ValidationError as exc:
            if form is None:
                messages.error(request, exc.messages[0])
            else:
                _form_error(form, exc)
        else:
            messages.success(
                request,
                f"Welcome to {invitation.organisation.name}. Sign in, then set up "
                "two-factor authentication.",
            )
            return redirect("home" if signed_in_user else "account_login")
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}
    )


@public
@require_http_methods(["GET", "POST"])
def client_register_view(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_by_slug(slug)
    if organisation is None:
        raise Http404("No such service.")
    if not organisation.allow_client_self_registration:
        return render(request, "accounts/registration_closed.html", {"organisation": organisation})
    if request.method == "POST":
        # The public page creates accounts and client records: limit it like sign-up.
        limited = ratelimit.consume_or_429(request, action="signup")
        if limited is not None:
            return limited
    form = ClientRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = client_register(
                organisation=organisation,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as exc:
            if not _is_email_taken(exc):
                _form_error(form, exc)
            else:
                # Having an account with a therapy service is itself sensitive: answer
                # exactly as for a new address, and tell the address's owner by email.
                get_account_adapter(request).send_account_already_exists_mail(
                    form.cleaned_data["email"]
                )
                return redirect(reverse("account_email_verification_sent"))
        else:
            address = EmailAddress.objects.get(user=user, email=user.email)
            address.send_confirmation(request, signup=True)
            return redirect(reverse("account_email_verification_sent"))
    return render(request, "accounts/register.html", {"organisation": organisation, "form": form})


@member_required(Role.SERVICE_ADMIN)
@require_http_methods(["GET", "POST"])
def organisation_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = membership.organisation
    form = OrganisationForm(
        request.POST or None,
        initial={
            "name": organisation.name,
            "allow_client_self_registration": organisation.allow_client_self_registration,
            "staff_idle_minutes": organisation.staff_idle_minutes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            organisation_update(membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("organisation_settings")
    return render(
        request,
        "accounts/organisation_settings.html",
        {
            "form": form,
            "registration_url": request.build_absolute_uri(
                reverse("client_register", args=[organisation.slug])
            ),
        },
    )
