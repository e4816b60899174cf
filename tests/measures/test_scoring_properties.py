"""Properties every instrument's scoring keeps, for any answers (hypothesis).

Complements test_scoring.py: there each instrument's own rules, here what holds for all
six — a complete form's total and band, where prorating is allowed, the risk items, and
that an answer out of range is refused with its item number.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.measures.scoring import INSTRUMENTS, instrument, score
from tests.measures.test_scoring import expected_band

CODES = sorted(INSTRUMENTS)
# Scoring is fast; on a loaded shared machine a first example can still miss the default
# 200 ms deadline, which would say nothing about the rules under test.
relaxed = settings(deadline=None)


def _answer(code: str) -> st.SearchStrategy[int | float]:
    inst = instrument(code)
    whole = st.integers(inst.low, inst.high)
    if inst.decimals_allowed:
        tenths = st.integers(inst.low * 10, inst.high * 10).map(lambda n: n / 10)
        return st.one_of(whole, tenths)
    return whole


def _complete(code: str) -> st.SearchStrategy[list[int | float]]:
    n = instrument(code).scored_items
    return st.lists(_answer(code), min_size=n, max_size=n)


def _expected_total(code: str, answers: list[int | float]) -> float:
    inst = instrument(code)
    return sum(
        inst.high - a if position in inst.reverse_items else a
        for position, a in enumerate(answers, start=1)
    )


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
@relaxed
def test_a_complete_form_is_totalled_and_banded_by_the_published_rules(
    code: str, data: st.DataObject
) -> None:
    answers = data.draw(_complete(code))
    result = score(code, answers)
    assert result.complete and not result.prorated
    assert result.total == pytest.approx(_expected_total(code, answers))
    assert result.band == expected_band(code, result.total)  # type: ignore[arg-type]
    inst = instrument(code)
    endorsed = any(answers[i - 1] > 0 for i in inst.risk_items)
    assert ("risk" in result.flags) == endorsed


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
@relaxed
def test_a_missing_item_is_prorated_only_where_the_rules_allow(
    code: str, data: st.DataObject
) -> None:
    inst = instrument(code)
    answers: list[int | float | None] = list(data.draw(_complete(code)))
    missing = data.draw(st.sets(st.integers(0, inst.scored_items - 1), min_size=1))
    for index in missing:
        answers[index] = None
    result = score(code, answers)
    assert not result.complete
    if len(missing) <= inst.prorate_missing:
        assert result.prorated and result.total is not None
        assert result.band == expected_band(code, result.total)
    else:
        assert (result.total, result.band, result.prorated) == (None, None, False)


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
@relaxed
def test_an_answer_out_of_range_is_refused_naming_its_item(code: str, data: st.DataObject) -> None:
    inst = instrument(code)
    answers: list[int | float | None] = list(data.draw(_complete(code)))
    position = data.draw(st.integers(1, inst.scored_items))
    bad = data.draw(
        st.one_of(st.integers(max_value=inst.low - 1), st.integers(min_value=inst.high + 1))
    )
    answers[position - 1] = bad
    with pytest.raises(ValueError, match=rf"{inst.code} item {position}: {bad} is outside"):
        score(code, answers)


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
@relaxed
def test_the_wrong_number_of_answers_is_refused(code: str, data: st.DataObject) -> None:
    inst = instrument(code)
    allowed = {inst.items, inst.items - len(inst.optional_items)}
    count = data.draw(st.integers(0, inst.items + 5).filter(lambda n: n not in allowed))
    with pytest.raises(ValueError, match=f"not {count}"):
        score(code, [inst.low] * count)
