from decimal import Decimal
from typing import Any

from django import forms

from hearth.measures.library import Form
from hearth.measures.models import FriendsAndFamily


class MeasureForm(forms.Form):
    """One field per item of a published form, with its wording and options."""

    def __init__(self, *args: Any, measure: Form, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure = measure
        for item in measure.items:
            name = f"item_{item.number}"
            if item.options:
                self.fields[name] = forms.TypedChoiceField(
                    label=item.text,
                    choices=[(str(v), label) for v, label in item.options],
                    coerce=int,
                    widget=forms.RadioSelect,
                    required=item.required,
                    error_messages={"required": "Choose an answer to this question."},
                )
            else:
                self.fields[name] = forms.DecimalField(
                    label=item.text,
                    min_value=Decimal(0),
                    max_value=Decimal(10),
                    decimal_places=1,
                    widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
                    error_messages={"required": "Give a number from 0 to 10."},
                )

    def answers(self) -> list[int | float | None]:
        values: list[int | float | None] = []
        for item in self.measure.items:
            value = self.cleaned_data.get(f"item_{item.number}")
            if value is None or value == "":
                values.append(None)
            elif isinstance(value, Decimal):
                values.append(float(value))
            else:
                values.append(int(value))
        return values


class FriendsAndFamilyForm(forms.Form):
    friends_and_family = forms.ChoiceField(
        choices=FriendsAndFamily.choices,
        widget=forms.RadioSelect,
        label="Overall, how was your experience of our service?",
        error_messages={"required": "Choose one answer."},
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Anything you would like to tell us? (optional)",
        help_text="Please do not use this for anything urgent: contact your service instead.",
    )
