from django import forms

from hearth.scheduling.models import Modality, ServiceType


class SlotSearchForm(forms.Form):
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.none(), label="Service")
    modality = forms.ChoiceField(choices=Modality.choices, label="How would you like to meet?")

    def __init__(self, *args: object, organisation_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["service_type"].queryset = ServiceType.objects.filter(  # type: ignore[attr-defined]
            organisation_id=organisation_id, is_active=True
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
