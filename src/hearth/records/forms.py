from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from hearth.records.models import (
    TEMPLATE_SECTIONS,
    ClinicalPolicy,
    DischargeReason,
    NoteTemplate,
    ReferralSource,
)
from hearth.scheduling.models import Appointment


class EpisodeForm(forms.Form):
    referral_source = forms.ChoiceField(choices=ReferralSource.choices)
    referral_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    presenting_problem = forms.CharField(
        widget=forms.Textarea, required=False, label="Presenting problem"
    )

    def __init__(self, *args: Any, clinical_text: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not clinical_text:
            del self.fields["presenting_problem"]


class DischargeForm(forms.Form):
    discharge_reason = forms.ChoiceField(choices=DischargeReason.choices, label="Reason")
    discharge_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Date of discharge"
    )


class NoteStartForm(forms.Form):
    template = forms.ChoiceField(choices=NoteTemplate.choices, widget=forms.RadioSelect)
    appointment = forms.ModelChoiceField(
        queryset=Appointment.objects.none(),
        required=False,
        empty_label="Not linked to an appointment",
        label="Session",
    )
    session_at = forms.DateTimeField(
        required=False,
        label="Or when the session took place",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Only for a session that is not an appointment here.",
    )

    def __init__(self, *args: Any, appointments: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        field.queryset = appointments  # type: ignore[attr-defined]
        field.label_from_instance = lambda a: (  # type: ignore[attr-defined]
            f"{a.starts_at.astimezone(zone):%d %b %Y %H:%M} · {a.service_type} · "
            f"{a.get_modality_display()}"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("appointment") and not data.get("session_at"):
            raise forms.ValidationError("Choose the appointment, or say when the session was.")
        return data


class NoteSectionsForm(forms.Form):
    """One textarea per section of the note's template."""

    def __init__(self, *args: Any, template: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, heading in TEMPLATE_SECTIONS[template]:
            self.fields[key] = forms.CharField(
                label=heading, required=False, widget=forms.Textarea, strip=False
            )


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, label="Addendum")


class ClinicalPolicyForm(forms.ModelForm):
    measures_before_session = forms.MultipleChoiceField(
        choices=[(c, c) for c in ("PHQ-9", "GAD-7", "CORE-10", "WSAS", "ORS")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Measures before each session",
    )

    class Meta:
        model = ClinicalPolicy
        fields = [
            "share_notes_with_clients",
            "late_entry_hours",
            "supervised_notes_need_cosignature",
            "measures_before_session",
            "measures_invite_hours",
            "review_sample_size",
        ]


class PlanForm(forms.Form):
    approach = forms.CharField(
        widget=forms.Textarea, required=False, label="What we will work on, and how"
    )


class GoalForm(forms.Form):
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Goal",
        help_text="Specific and measurable: what will be different, and how you will know.",
    )
    target_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class RatingForm(forms.Form):
    goal = forms.IntegerField(widget=forms.HiddenInput)
    rating = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        label="Progress, 0 (not started) to 10 (achieved)",
    )


class CommentForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")
