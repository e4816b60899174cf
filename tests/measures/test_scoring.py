"""Every instrument's scoring against its published rules (hypothesis)."""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.measures import scoring
from hearth.measures.scoring import INSTRUMENTS, is_clinical, recovered, reliable_change, score

# The published bands, written out independently of the module: (lowest, highest, label).
PUBLISHED_BANDS = {
    "PHQ-9": [
        (0, 4, "none-minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),
        (20, 27, "severe"),
    ],
    "GAD-7": [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")],
    "CORE-10": [
        (0, 5, "healthy"),
        (6, 10, "low"),
        (11, 14, "mild"),
        (15, 19, "moderate"),
        (20, 24, "moderate-to-severe"),
        (25, 40, "severe"),
    ],
    "WSAS": [
        (0, 9, "subclinical"),
        (10, 20, "significant impairment"),
        (21, 40, "moderately severe or worse"),
    ],
    "ORS": [(0, 24, "clinical"), (25, 40, "non-clinical")],
    "SRS": [(0, 35, "alliance concern"), (36, 40, "good alliance")],
}
ITEM_RANGE = {"PHQ-9": 3, "GAD-7": 3, "CORE-10": 4, "WSAS": 8, "ORS": 10, "SRS": 10}
SCORED_ITEMS = {"PHQ-9": 9, "GAD-7": 7, "CORE-10": 10, "WSAS": 5, "ORS": 4, "SRS": 4}


def expected_band(code: str, total: float) -> str:
    for low, high, label in PUBLISHED_BANDS[code]:
        if low <= total <= high or (low <= total < high + 1):
            return label
    raise AssertionError(f"no band for {total}")


def answers_for_total(code: str, total: int) -> list[int]:
    """Raw answers that give ``total`` (undoing CORE-10's reversed items 2 and 3)."""
    top, n = ITEM_RANGE[code], SCORED_ITEMS[code]
    contributions = []
    remaining = total
    for _ in range(n):
        part = min(top, remaining)
        contributions.append(part)
        remaining -= part
    assert remaining == 0
    if code == "CORE-10":
        for index in (1, 2):  # items 2 and 3 are reverse-scored
            contributions[index] = top - contributions[index]
    return contributions


def test_the_documented_example_runs() -> None:
    failures, _ = doctest.testmod(scoring)
    assert failures == 0


@pytest.mark.parametrize("code", sorted(PUBLISHED_BANDS))
def test_every_total_has_its_published_band(code: str) -> None:
    top = ITEM_RANGE[code] * SCORED_ITEMS[code]
    for total in range(top + 1):
        result = score(code, answers_for_total(code, total))
        assert result.total == total
        assert result.band == expected_band(code, total), (code, total)
        assert result.complete and not result.prorated


@pytest.mark.parametrize(
    ("code", "boundaries"),
    [
        (
            "PHQ-9",
            [
                (4, "none-minimal"),
                (5, "mild"),
                (9, "mild"),
                (10, "moderate"),
                (14, "moderate"),
                (15, "moderately severe"),
                (19, "moderately severe"),
                (20, "severe"),
                (27, "severe"),
            ],
        ),
        (
            "GAD-7",
            [
                (4, "minimal"),
                (5, "mild"),
                (9, "mild"),
                (10, "moderate"),
                (14, "moderate"),
                (15, "severe"),
                (21, "severe"),
            ],
        ),
        (
            "CORE-10",
            [
                (5, "healthy"),
                (6, "low"),
                (10, "low"),
                (11, "mild"),
                (14, "mild"),
                (15, "moderate"),
                (19, "moderate"),
                (20, "moderate-to-severe"),
                (24, "moderate-to-severe"),
                (25, "severe"),
                (40, "severe"),
            ],
        ),
        (
            "WSAS",
            [
                (9, "subclinical"),
                (10, "significant impairment"),
                (20, "significant impairment"),
                (21, "moderately severe or worse"),
            ],
        ),
    ],
)
def test_band_boundaries(code: str, boundaries: list[tuple[int, str]]) -> None:
    for total, label in boundaries:
        assert score(code, answers_for_total(code, total)).band == label


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9), st.integers(0, 3))
def test_phq9_sums_nine_items_and_only_records_the_tenth(items: list[int], difficulty: int) -> None:
    without = score("PHQ-9", items)
    with_difficulty = score("PHQ-9", [*items, difficulty])
    assert without == with_difficulty
    assert without.total == sum(items)
    assert ("risk" in without.flags) == (items[8] > 0)


@given(st.lists(st.integers(0, 4), min_size=10, max_size=10))
def test_core10_reverses_items_2_and_3_and_flags_item_6(items: list[int]) -> None:
    result = score("CORE-10", items)
    expected = sum(items) - items[1] - items[2] + (4 - items[1]) + (4 - items[2])
    assert result.total == expected
    assert ("risk" in result.flags) == (items[5] > 0)
    assert result.band == expected_band("CORE-10", expected)


@given(st.lists(st.integers(0, 4), min_size=10, max_size=10), st.integers(0, 9))
def test_core10_prorates_one_missing_item(items: list[int], missing: int) -> None:
    answers: list[int | None] = list(items)
    answers[missing] = None
    result = score("CORE-10", answers)
    values = [(4 - a if i in (1, 2) else a) for i, a in enumerate(items) if i != missing]
    assert result.prorated and not result.complete
    assert result.total == round(sum(values) / 9 * 10, 1)
    assert result.band == expected_band("CORE-10", result.total)  # type: ignore[arg-type]


@given(
    st.lists(st.integers(0, 4), min_size=10, max_size=10),
    st.sets(st.integers(0, 9), min_size=2, max_size=10),
)
def test_core10_with_two_or_more_missing_is_kept_but_not_scored(
    items: list[int], missing: set[int]
) -> None:
    answers: list[int | None] = [None if i in missing else a for i, a in enumerate(items)]
    result = score("CORE-10", answers)
    assert (result.total, result.band, result.complete, result.prorated) == (
        None,
        None,
        False,
        False,
    )


@pytest.mark.parametrize("code", ["PHQ-9", "GAD-7", "WSAS", "ORS", "SRS"])
@given(data=st.data())
def test_no_prorating_where_rules_do_not_allow_it(code: str, data: st.DataObject) -> None:
    n, top = SCORED_ITEMS[code], ITEM_RANGE[code]
    items: list[int | None] = data.draw(st.lists(st.integers(0, top), min_size=n, max_size=n))
    items[data.draw(st.integers(0, n - 1))] = None
    result = score(code, items)
    assert result.total is None and result.band is None and not result.complete


def test_phq9_risk_item_is_flagged_even_when_incomplete() -> None:
    result = score("PHQ-9", [0, 0, None, 0, 0, 0, 0, 0, 1])
    assert result.total is None and "risk" in result.flags


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=4, max_size=4))
def test_ors_and_srs_take_tenths_of_a_line(items: list[float]) -> None:
    items = [round(x, 1) for x in items]
    ors = score("ORS", items)
    assert ors.total == pytest.approx(sum(items))
    assert ors.band == ("clinical" if ors.total < 25 else "non-clinical")  # type: ignore[operator]
    srs = score("SRS", items)
    assert ("alliance" in srs.flags) == (srs.total < 36)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("PHQ-9", [0] * 8, "PHQ-9 takes 9 or 10 answers, not 8"),
        ("PHQ-9", [0] * 11, "not 11"),
        ("GAD-7", [0, 0, 0, 4, 0, 0, 0], "item 4: 4 is outside 0–3"),
        ("GAD-7", [0, 0, 0, -1, 0, 0, 0], "item 4: -1 is outside 0–3"),
        ("CORE-10", [0] * 9 + [1.5], "item 10: 1.5 must be a whole number"),
        ("PHQ-9", [True] + [0] * 8, "item 1: True is not a number"),
        ("PHQ-9", ["1"] + [0] * 8, "item 1: '1' is not a number"),
        ("ORS", [math.nan, 1, 1, 1], "item 1: nan is outside 0–10"),
        ("ORS", [11, 1, 1, 1], "item 1: 11 is outside 0–10"),
        ("PHQ-9", "012301230", "PHQ-9 takes 9 or 10 answers"),
        ("BDI-II", [0] * 21, "Unknown measure 'BDI-II'"),
    ],
)
def test_bad_answers_raise_a_clear_value_error(code: str, answers: list, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        score(code, answers)


def test_every_instrument_names_its_source() -> None:
    for inst in INSTRUMENTS.values():
        assert inst.source and inst.name


@pytest.mark.parametrize(
    ("code", "first", "latest", "change", "recovery"),
    [
        ("PHQ-9", 16, 10, "reliable improvement", False),  # still at caseness (≥ 10)
        ("PHQ-9", 16, 9, "reliable improvement", True),
        ("PHQ-9", 12, 7, "no reliable change", True),  # recovered, not reliably
        ("PHQ-9", 8, 14, "reliable deterioration", False),
        ("GAD-7", 12, 8, "reliable improvement", False),  # GAD-7 caseness is 8
        ("GAD-7", 12, 7, "reliable improvement", True),
        ("ORS", 18, 23, "reliable improvement", False),  # ORS: higher is better; cut-off 25
        ("ORS", 18, 26, "reliable improvement", True),
        ("ORS", 30, 24, "reliable deterioration", False),
    ],
)
def test_reliable_change_and_recovery(
    code: str, first: int, latest: int, change: str, recovery: bool
) -> None:
    assert reliable_change(code, first, latest) == change
    assert recovered(code, first, latest) is recovery


def test_measures_without_confirmed_values_say_so() -> None:
    assert reliable_change("CORE-10", 25, 5) is None  # not confirmed from the source
    assert is_clinical("WSAS", 25) is None
    assert is_clinical("CORE-10", 11) is True and is_clinical("CORE-10", 10) is False
