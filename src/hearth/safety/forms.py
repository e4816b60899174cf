from __future__ import annotations

from typing import Any

from django import forms

from hearth.accounts.models import CLINICIAN_ROLES, Membership
from hearth.safety.models import (
    SAFETY_PLAN_SECTIONS,
    CrisisKind,
    IncidentStep,
    RiskLevel,
    RiskSource,
    RiskType,
    SessionStartCheck,
)
from hearth.safety.regions import COUNTRY_CHOICES, REGION_CHOICES
from hearth.scheduling.models import Modality


class CrisisServiceForm(forms.Form):
    country = forms.ChoiceField(choices=COUNTRY_CHOICES)
    region = forms.ChoiceField(choices=REGION_CHOICES, required=False)
    name = forms.CharField(max_length=120)
    number = forms.CharField(max_length=32)
    kind = forms.ChoiceField(choices=CrisisKind.choices)
    hours = forms.CharField(max_length=200)
    source_url = forms.URLField(
        max_length=300, label="Source (https address)", assume_scheme="https"
    )
    notes = forms.CharField(max_length=300, required=False)


class SafetyDetailsForm(forms.Form):
    home_address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    country = forms.ChoiceField(choices=[("", "—"), *COUNTRY_CHOICES], required=False)
    region = forms.ChoiceField(choices=REGION_CHOICES, required=False, label="Region or nation")
    callback_phone = forms.CharField(max_length=32, required=False, label="Call-back number")
    emergency_contact_name = forms.CharField(max_length=200, required=False)
    emergency_contact_relation = forms.CharField(
        max_length=100, required=False, label="Relationship to the client"
    )
    emergency_contact_phone = forms.CharField(max_length=32, required=False)
    emergency_contact_consent = forms.BooleanField(
        required=False, label="The client agrees we may contact this person in an emergency"
    )
    professionals = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="GP and other professionals involved",
    )


class SafetyPlanForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, hint in SAFETY_PLAN_SECTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                help_text=hint,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value: str) -> bool:
    return value == "yes"


class SessionCheckForm(forms.Form):
    location = forms.ChoiceField(
        choices=SessionStartCheck.Location.choices,
        widget=forms.RadioSelect,
        label="Where are you now?",
    )
    address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="The address where you are, if not at home",
    )
    country = forms.ChoiceField(choices=[("", "—"), *COUNTRY_CHOICES], required=False)
    region = forms.ChoiceField(choices=REGION_CHOICES, required=False, label="Region or nation")
    callback_phone = forms.CharField(
        max_length=32, label="A number to call you back on if the connection drops"
    )
    is_private = forms.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        label="Can you talk privately where you are?",
    )
    others_present = forms.CharField(
        max_length=200, required=False, label="If not, who else is with you?"
    )
    emergency_contact_correct = forms.TypedChoiceField(
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        label="Is your emergency contact still right?",
    )


class OverrideForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        label="Why start without a confirmed check?",
    )


class RiskFlagForm(forms.Form):
    type = forms.ChoiceField(choices=RiskType.choices, label="Type of risk")
    level = forms.ChoiceField(choices=RiskLevel.choices)
    source = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in RiskSource.choices
            if value not in (RiskSource.MEASURE, RiskSource.HELP_REQUEST)
        ]
    )
    source_detail = forms.CharField(max_length=100, required=False, label="Where or when")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    review_due = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Review by (blank: by risk level)",
    )


class ResolveForm(forms.Form):
    flag = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Why it is resolved", max_length=2000
    )


class ActionForm(forms.Form):
    action = forms.ChoiceField(choices=IncidentStep.Action.choices, label="What was done")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CloseForm(forms.Form):
    review_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Review", max_length=4000
    )


class DutyShiftForm(forms.Form):
    clinician = forms.ModelChoiceField(queryset=Membership.objects.none())
    starts_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="From",
    )
    ends_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Until",
    )
    position = forms.IntegerField(
        min_value=1, max_value=9, initial=1, label="Position (1 is called first)"
    )

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinicians = (
            Membership.objects.active()
            .filter(organisation_id=organisation_id, role__in=CLINICIAN_ROLES)
            .select_related("user")
            .order_by("user__full_name")
        )
        field = self.fields["clinician"]
        field.queryset = clinicians  # type: ignore[attr-defined]
        field.label_from_instance = lambda m: m.user.full_name or m.user.email  # type: ignore[attr-defined]


class EscalationPolicyForm(forms.Form):
    ack_minutes = forms.IntegerField(
        min_value=1, max_value=60, label="Minutes before an unacknowledged alert moves on"
    )
    service_lead = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        label="Service lead (alerted last; blank: every supervisor)",
    )

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service_lead"]
        field.queryset = (  # type: ignore[attr-defined]
            Membership.objects.active()
            .filter(organisation_id=organisation_id, role__in=CLINICIAN_ROLES)
            .select_related("user")
        )
        field.label_from_instance = lambda m: m.user.full_name or m.user.email  # type: ignore[attr-defined]


JUDGEMENT_CHOICES = [("", "Not judged"), ("yes", "Suitable"), ("no", "Not suitable")]


class SuitabilityForm(forms.Form):
    risk_level = forms.ChoiceField(choices=RiskLevel.choices, label="Current risk level")
    presentation = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    capacity = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    preference = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="The client's preference"
    )
    privacy = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Privacy at home"
    )
    technology = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Technology and connection"
    )
    access_needs = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Language and accessibility needs",
    )
    client_choice = forms.ChoiceField(
        choices=Modality.choices, label="The way of meeting the client chose"
    )
    review_interval_days = forms.IntegerField(
        min_value=7, max_value=365, initial=91, label="Review in (days)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Modality.choices:
            self.fields[f"judge_{value}"] = forms.ChoiceField(
                choices=JUDGEMENT_CHOICES, required=False, label=label
            )
            self.fields[f"reason_{value}"] = forms.CharField(
                required=False, max_length=500, label=f"Why ({label.lower()})"
            )

    def judgements(self) -> dict[str, tuple[bool, str]]:
        data = self.cleaned_data
        return {
            value: (data[f"judge_{value}"] == "yes", data[f"reason_{value}"])
            for value in Modality.values
            if data.get(f"judge_{value}")
        }

    def texts(self) -> dict[str, Any]:
        skip = {"client_choice", "risk_level", "review_interval_days"}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in skip and not name.startswith(("judge_", "reason_"))
        }


class DisclosureForm(forms.Form):
    type = forms.ChoiceField(choices=RiskType.choices, label="Type of risk")
    level = forms.ChoiceField(choices=RiskLevel.choices)
    actions = forms.MultipleChoiceField(
        choices=IncidentStep.Action.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Actions taken",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
