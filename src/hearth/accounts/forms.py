from typing import Any

from django import forms
from django.contrib.auth import password_validation

from hearth.accounts.models import STAFF_ROLES, Role


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES])


class PasswordFieldsMixin(forms.Form):
    password1 = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            try:
                password_validation.validate_password(p1, self._user_for_similarity())
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def _email_for_similarity(self) -> str:
        return str(self.cleaned_data.get("email", ""))

    def _user_for_similarity(self) -> Any:
        from hearth.accounts.models import User

        return User(
            email=self._email_for_similarity(),
            full_name=self.cleaned_data.get("full_name", ""),
        )


class InvitationAcceptForm(PasswordFieldsMixin):
    full_name = forms.CharField(max_length=200, label="Your full name")
    field_order = ["full_name", "password1", "password2"]

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        # The address comes from the invitation, not the form, but the password
        # must still not resemble it.
        super().__init__(*args, **kwargs)
        self.invited_email = email

    def _email_for_similarity(self) -> str:
        return self.invited_email


class ClientRegistrationForm(PasswordFieldsMixin):
    full_name = forms.CharField(max_length=200, label="Your full name")
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    field_order = ["full_name", "email", "password1", "password2"]


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200)
    allow_client_self_registration = forms.BooleanField(
        required=False,
        label="Clients may register themselves online",
        help_text="Your registration page is shown below.",
    )
    staff_idle_minutes = forms.IntegerField(
        min_value=5,
        max_value=120,
        required=False,
        label="Sign staff out after this many idle minutes",
        help_text="Blank uses the platform default.",
    )
