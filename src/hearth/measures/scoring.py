"""Scoring of Hearth's measures, by their published rules. A public, documented API:

    >>> from hearth.measures.scoring import score
    >>> result = score("PHQ-9", [1, 2, 1, 1, 0, 1, 2, 1, 1])
    >>> result.total, result.band, sorted(result.flags), result.complete
    (10, 'moderate', ['risk'], True)

``score(code, answers)`` takes one answer per item in the instrument's order, ``None``
for an unanswered item. An incomplete form is kept but not scored (``total`` is
``None``), except where the instrument's published rules allow prorating (CORE-10: one
missing item). Answers out of range, of the wrong type or of the wrong count raise
``ValueError`` with a message saying which.

Each rule below names its source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Number = int | float


@dataclass(frozen=True)
class Score:
    total: Number | None
    band: str | None
    flags: frozenset[str] = field(default_factory=frozenset)
    complete: bool = True
    prorated: bool = False


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    items: int  # how many answers the form takes (including unscored ones)
    scored_items: int
    low: int
    high: int
    bands: tuple[tuple[Number, str], ...]  # (lowest total, label), ascending
    source: str
    caseness: Number | None = None  # at or above: "clinical"/"caseness"
    reliable_change: Number | None = None
    decimals_allowed: bool = False
    reverse_items: frozenset[int] = frozenset()  # 1-based
    risk_items: frozenset[int] = frozenset()  # 1-based: any answer > 0 flags "risk"
    optional_items: frozenset[int] = frozenset()  # 1-based: recorded, never scored
    prorate_missing: int = 0  # how many missing scored items the rules allow
    prorate: Callable[[list[Number], int], Number] | None = None
    extra_flags: Callable[[Number], frozenset[str]] | None = None

    def band_of(self, total: Number) -> str:
        label = self.bands[0][1]
        for lowest, name in self.bands:
            if total >= lowest:
                label = name
        return label


def _core10_prorate(answered: list[Number], scored_items: int) -> Number:
    # CORE-10 user manual (Connell & Barkham 2007): with one item missing, the clinical
    # score is the mean of the answered items times 10.
    return round(sum(answered) / len(answered) * scored_items, 1)


def _srs_flags(total: Number) -> frozenset[str]:
    # Duncan et al. 2003: a total below 36 suggests a possible problem in the alliance.
    return frozenset({"alliance"}) if total < 36 else frozenset()


INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in [
        Instrument(
            code="PHQ-9",
            name="Patient Health Questionnaire (depression)",
            items=10,
            scored_items=9,
            low=0,
            high=3,
            # Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606); labels as in
            # Kroenke & Spitzer 2002 (Psychiatric Annals 32:509), table 4.
            bands=(
                (0, "none-minimal"),
                (5, "mild"),
                (10, "moderate"),
                (15, "moderately severe"),
                (20, "severe"),
            ),
            source="Kroenke, Spitzer & Williams 2001; Kroenke & Spitzer 2002",
            caseness=10,  # NHS Talking Therapies caseness
            reliable_change=6,  # NHS Talking Therapies reliable change
            risk_items=frozenset({9}),  # item 9 above 0 needs follow-up whatever the total
            optional_items=frozenset({10}),  # the difficulty question: recorded, not scored
        ),
        Instrument(
            code="GAD-7",
            name="Generalised Anxiety Disorder scale",
            items=7,
            scored_items=7,
            low=0,
            high=3,
            # Spitzer, Kroenke, Williams & Löwe 2006 (Arch Intern Med 166:1092).
            bands=((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
            source="Spitzer et al. 2006",
            caseness=8,  # NHS Talking Therapies caseness when GAD-7 is the paired measure
            reliable_change=4,
        ),
        Instrument(
            code="CORE-10",
            name="Clinical Outcomes in Routine Evaluation, 10 items",
            items=10,
            scored_items=10,
            low=0,
            high=4,
            # Barkham et al. 2013 (Couns Psychother Res 13:3); CORE-10 user manual 2007.
            # ≤ 10 split into healthy (0–5) and low (6–10) as in the manual's guide.
            bands=(
                (0, "healthy"),
                (6, "low"),
                (11, "mild"),
                (15, "moderate"),
                (20, "moderate-to-severe"),
                (25, "severe"),
            ),
            source="Barkham et al. 2013; CORE-10 user manual (Connell & Barkham 2007)",
            caseness=11,  # clinical cut-off
            reliable_change=None,  # not confirmed from the primary source: not reported
            reverse_items=frozenset({2, 3}),  # positively worded: "someone to turn to", "cope"
            risk_items=frozenset({6}),  # "made plans to end my life"
            prorate_missing=1,
            prorate=_core10_prorate,
        ),
        Instrument(
            code="WSAS",
            name="Work and Social Adjustment Scale",
            items=5,
            scored_items=5,
            low=0,
            high=8,
            # Mundt, Marks, Shear & Greist 2002 (Br J Psychiatry 180:461): above 20
            # moderately severe or worse; 10–20 significant impairment; below 10 subclinical.
            bands=(
                (0, "subclinical"),
                (10, "significant impairment"),
                (21, "moderately severe or worse"),
            ),
            source="Mundt et al. 2002",
        ),
        Instrument(
            code="ORS",
            name="Outcome Rating Scale",
            items=4,
            scored_items=4,
            low=0,
            high=10,
            # Miller, Duncan, Brown, Sparks & Claud 2003 (J Brief Therapy 2:91): adult
            # clinical cut-off 25; reliable change 5.
            bands=((0, "clinical"), (25, "non-clinical")),
            source="Miller et al. 2003",
            caseness=None,
            reliable_change=5,
            decimals_allowed=True,
        ),
        Instrument(
            code="SRS",
            name="Session Rating Scale",
            items=4,
            scored_items=4,
            low=0,
            high=10,
            # Duncan et al. 2003 (J Brief Therapy 3:3): below 36, a possible alliance problem.
            bands=((0, "alliance concern"), (36, "good alliance")),
            source="Duncan et al. 2003",
            decimals_allowed=True,
            extra_flags=_srs_flags,
        ),
    ]
}
# ORS: lower is worse, so "caseness" is below the cut-off; see is_clinical().
ORS_CUTOFF = 25


def instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code.upper()]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise ValueError(f"Unknown measure {code!r}; known measures: {known}.") from None


def _check(inst: Instrument, answers: Sequence[Number | None]) -> None:
    allowed_counts = {inst.items, inst.items - len(inst.optional_items)}
    if isinstance(answers, str | bytes) or len(answers) not in allowed_counts:
        counts = " or ".join(str(n) for n in sorted(allowed_counts))
        raise ValueError(f"{inst.code} takes {counts} answers, not {len(answers)}.")
    for position, answer in enumerate(answers, start=1):
        if answer is None:
            continue
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            raise ValueError(f"{inst.code} item {position}: {answer!r} is not a number.")
        if isinstance(answer, float) and not inst.decimals_allowed:
            raise ValueError(f"{inst.code} item {position}: {answer!r} must be a whole number.")
        if answer != answer or not inst.low <= answer <= inst.high:  # NaN or out of range
            raise ValueError(
                f"{inst.code} item {position}: {answer!r} is outside {inst.low}–{inst.high}."
            )


def score(code: str, answers: Sequence[int | float | None]) -> Score:
    """Score one completed (or partly completed) form. See the module's documentation."""
    inst = instrument(code)
    _check(inst, answers)
    scored = [
        (position, answer)
        for position, answer in enumerate(answers, start=1)
        if position not in inst.optional_items
    ]
    flags = {
        "risk"
        for position, answer in scored
        if position in inst.risk_items and answer is not None and answer > 0
    }
    values = [
        (inst.high - answer if position in inst.reverse_items else answer)
        for position, answer in scored
        if answer is not None
    ]
    missing = inst.scored_items - len(values)
    if missing == 0:
        total: Number = sum(values)
        prorated = False
    elif 0 < missing <= inst.prorate_missing and inst.prorate is not None:
        total, prorated = inst.prorate(values, inst.scored_items), True
    else:
        return Score(None, None, frozenset(flags), complete=False, prorated=False)
    if inst.extra_flags is not None:
        flags |= inst.extra_flags(total)
    return Score(
        total, inst.band_of(total), frozenset(flags), complete=missing == 0, prorated=prorated
    )


def is_clinical(code: str, total: Number) -> bool | None:
    """At clinical level ("caseness"), or None where the measure defines no cut-off."""
    inst = instrument(code)
    if inst.code == "ORS":
        return total < ORS_CUTOFF
    if inst.caseness is None:
        return None
    return total >= inst.caseness


def reliable_change(code: str, first: Number, latest: Number) -> str | None:
    """ "reliable improvement", "reliable deterioration", "no reliable change", or None
    where no reliable-change value is confirmed for the measure. Higher is worse for
    every measure here except ORS (and SRS, which is not an outcome)."""
    inst = instrument(code)
    if inst.reliable_change is None:
        return None
    change = latest - first
    if inst.code == "ORS":
        change = -change
    if change <= -inst.reliable_change:
        return "reliable improvement"
    if change >= inst.reliable_change:
        return "reliable deterioration"
    return "no reliable change"


def recovered(code: str, first: Number, latest: Number) -> bool | None:
    """Clinical at the first measurement and not at the latest (NHS Talking Therapies)."""
    start, end = is_clinical(code, first), is_clinical(code, latest)
    if start is None or end is None:
        return None
    return start and not end
