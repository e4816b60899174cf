"""The forms clients read agree with the scoring rules they are scored by."""

from __future__ import annotations

import pytest

from hearth.measures.library import FORMS, form_of, item_text
from hearth.measures.scoring import INSTRUMENTS


def test_every_instrument_has_a_form_with_its_source() -> None:
    assert set(FORMS) == set(INSTRUMENTS)
    for form in FORMS.values():
        assert form.source and form.instructions and form.title


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_items_and_options_match_the_scoring_rules(code: str) -> None:
    form, inst = form_of(code), INSTRUMENTS[code]
    assert len(form.items) == inst.items
    assert [item.number for item in form.items] == list(range(1, inst.items + 1))
    for item in form.items:
        assert item.text
        if item.number in inst.optional_items:
            assert not item.required
            continue
        if item.options:
            assert [value for value, _ in item.options] == list(range(inst.low, inst.high + 1))
        else:  # a 0–10 line: ORS and SRS
            assert form.line_anchors is not None and inst.decimals_allowed


def test_risk_items_are_the_published_questions() -> None:
    assert "better off dead" in item_text("PHQ-9", 9)
    assert "end my life" in item_text("CORE-10", 6)
    assert "difficult" in item_text("PHQ-9", 10)
    with pytest.raises(ValueError, match="Unknown measure"):
        form_of("BDI-II")
