"""An endorsed risk item on a questionnaire raises a risk flag on the client's record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from hearth.accounts.personas import Cast
from hearth.measures.services import measure_record
from hearth.records.demo import clinical_demo_ensure
from hearth.safety.models import RiskFlag

pytestmark = pytest.mark.django_db


def test_phq9_item_9_raises_a_flag_and_a_clear_form_does_not(cast: Cast) -> None:
    clinical_demo_ensure(cast)  # Alice's open episode
    alice, record = cast.memberships["alice"], cast.records["alice"]
    before = RiskFlag.objects.filter(client=record).count()
    measure_record(membership=alice, client=record, code="GAD-7", answers=[1] * 7)
    measure_record(membership=alice, client=record, code="PHQ-9", answers=[1] * 8 + [0, 1])
    assert RiskFlag.objects.filter(client=record).count() == before
    response = measure_record(
        membership=alice, client=record, code="PHQ-9", answers=[1] * 8 + [2, 1]
    )
    assert response.risk_review_needed
    flag = RiskFlag.objects.filter(client=record).latest("pk")
    assert RiskFlag.objects.filter(client=record).count() == before + 1
    assert flag.source == "measure" and "PHQ-9 item 9" in flag.source_detail


def test_a_refused_form_raises_no_flag(cast: Cast) -> None:
    clinical_demo_ensure(cast)
    record = cast.records["alice"]
    before = RiskFlag.objects.filter(client=record).count()
    with pytest.raises(ValidationError, match="answers"):
        measure_record(
            membership=cast.memberships["alice"], client=record, code="PHQ-9", answers=[3] * 11
        )
    assert RiskFlag.objects.filter(client=record).count() == before
