"""The demo practice has safety data to show, and loading it again changes nothing."""

from __future__ import annotations

from django.core.management import call_command

from hearth.accounts.personas import Cast
from hearth.safety.models import DutyShift, SafetyDetails, SafetyPlanVersion, SuitabilityAssessment
from hearth.safety.suitability import suitability_review_reasons


def test_the_demo_has_safety_data_once(cast: Cast) -> None:
    call_command("demo")
    record = cast.records["alice"]
    counts = (
        SafetyDetails.objects.count(),
        SafetyPlanVersion.objects.count(),
        SuitabilityAssessment.objects.count(),
        DutyShift.objects.count(),
    )
    assert counts == (1, 1, 1, 14)
    assert SafetyDetails.objects.get(client=record).callback_phone == "+441614960123"
    assert suitability_review_reasons(record) == []
    call_command("demo")
    assert (
        SafetyDetails.objects.count(),
        SafetyPlanVersion.objects.count(),
        SuitabilityAssessment.objects.count(),
        DutyShift.objects.count(),
    ) == counts
