from typing import Any

from django import forms

from hearth.accounts.models import CLINICIAN_ROLES, Membership, User
from hearth.clients.models import ClientRecord
from hearth.scheduling.models import Modality, ServiceType


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
