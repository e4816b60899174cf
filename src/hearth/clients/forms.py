from typing import Any

from django import forms

from hearth.accounts.models import CLINICIAN_ROLES, Membership, Organisation, User


class ClientRecordForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    preferred_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=32, required=False, label="Phone number")
    therapist = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    presenting_summary = forms.CharField(
        widget=forms.Textarea, required=False, label="Presenting summary"
    )

    def __init__(
        self, *args: Any, organisation: Organisation, clinical_text: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        clinicians = Membership.objects.active().filter(
            organisation=organisation, role__in=CLINICIAN_ROLES
        )
        self.fields["therapist"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=clinicians.values("user_id")
        ).order_by("full_name")
        if not clinical_text:
            del self.fields["presenting_summary"]
