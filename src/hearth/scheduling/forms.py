from typing import Any

from django import forms

from hearth.accounts.models import CLINICIAN_ROLES, Membership, User
from hearth.clients.models import ClientRecord
from hearth.scheduling.models import Modality, SchedulingPolicy, ServiceType


class SlotSearchForm(forms.Form):
    """What to book. Staff also choose the client and may narrow to one therapist."""

    client = forms.ModelChoiceField(queryset=ClientRecord.objects.none(), required=False)
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.none(), label="Service")
    modality = forms.ChoiceField(choices=Modality.choices, label="How to meet")
    therapist = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Any therapist"
    )

    def __init__(
        self,
        *args: Any,
        organisation_id: int,
        clients: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = ServiceType.objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id, is_active=True
        )
        clinicians = Membership.objects.active().filter(
            organisation_id=organisation_id, role__in=CLINICIAN_ROLES
        )
        self.fields["therapist"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=clinicians.values("user_id")
        ).order_by("full_name")
        if clients is None:
            del self.fields["client"]
            del self.fields["therapist"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]
            self.fields["client"].required = True


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class WaitlistAddForm(forms.Form):
    client = forms.ModelChoiceField(queryset=ClientRecord.objects.none())
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.none(), label="Service")
    modalities = forms.MultipleChoiceField(
        choices=Modality.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Ways of meeting the client can use",
    )

    def __init__(self, *args: Any, organisation_id: int, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["service_type"].queryset = ServiceType.objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id, is_active=True
        )


WEEKDAYS = [
    (i, d)
    for i, d in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
]


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int)
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="From")
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="To")
    modalities = forms.MultipleChoiceField(
        choices=Modality.choices, widget=forms.CheckboxSelectMultiple, label="Ways of meeting"
    )


class LimitsForm(forms.Form):
    buffer_minutes = forms.IntegerField(min_value=0, max_value=60, label="Minutes between sessions")
    max_continuous_remote_minutes = forms.IntegerField(
        min_value=30, max_value=720, required=False, label="Most remote minutes before a break"
    )
    max_daily_video_minutes = forms.IntegerField(
        min_value=30, max_value=720, required=False, label="Most video minutes a day"
    )


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("time_off", "Time off"), ("extra", "Extra hours")], label="What"
    )
    starts_local = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="From"
    )
    ends_local = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="To"
    )
    reason = forms.CharField(max_length=200, required=False, label="Note (only you see it)")


class PolicyForm(forms.ModelForm):
    reminder_hours = forms.CharField(
        max_length=100,
        label="Reminders, in hours before the appointment",
        help_text="Separate with commas, e.g. 48, 2",
    )

    class Meta:
        model = SchedulingPolicy
        fields = [
            "client_booking",
            "late_cancellation_hours",
            "minimum_notice_minutes",
            "booking_horizon_days",
            "slot_step_minutes",
            "max_continuous_remote_minutes",
            "min_break_minutes",
            "max_daily_video_minutes",
        ]
        labels = {
            "client_booking": "Client booking",
            "late_cancellation_hours": "Late cancellation within (hours)",
            "minimum_notice_minutes": "Clients book at least (minutes ahead)",
            "booking_horizon_days": "Clients book at most (days ahead)",
            "slot_step_minutes": "Offer times every (minutes)",
        }


class ServiceTypeForm(forms.Form):
    name = forms.CharField(max_length=100)
    default_minutes = forms.IntegerField(min_value=10, max_value=90, label="Usual minutes")
    min_minutes = forms.IntegerField(min_value=10, max_value=90, label="Shortest")
    max_minutes = forms.IntegerField(min_value=10, max_value=90, label="Longest")
    modalities = forms.MultipleChoiceField(
        choices=Modality.choices, widget=forms.CheckboxSelectMultiple, label="Ways of meeting"
    )
    fee_code = forms.CharField(max_length=32, required=False)
    is_active = forms.BooleanField(required=False, initial=True, label="Offered")
