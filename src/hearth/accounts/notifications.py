"""Emails about accounts. They carry links and names of services, never clinical content."""

from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from hearth.accounts.models import Invitation


def send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
    context = {"invitation": invitation, "link": link}
    send_mail(
        subject=f"You are invited to join {invitation.organisation.name} on Hearth",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
