"""The risk-language detector: rules, negation, idioms, reasons, levels and bad input."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth.safety.language import (
    _LEXICON,
    LEVELS,
    MAX_CHARS,
    RiskAssessment,
    risk_language_assess,
)


def level(text: str) -> str:
    return risk_language_assess(text).level


def rules(text: str) -> set[str]:
    return {reason.rule for reason in risk_language_assess(text).reasons if not reason.negated}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I want to kill myself", "suicidal-intent"),
        ("i want to die", "suicidal-intent"),
        ("I'm going to end my life", "suicidal-intent"),
        ("I have a plan to end it, I've worked out when", "plan"),
        ("I have been saving up my pills", "means"),
        ("I've got a rope", "means"),
        ("I keep thinking about hanging myself", "method"),
        ("I took an overdose earlier", "method"),
        ("Tonight is the night", "timing"),
        ("This is goodbye. Thank you for everything", "goodbye"),
        ("By the time you read this I'll be gone", "goodbye"),
        ("I cut myself again last night", "self-harm"),
        ("I want to stab him", "harm-to-others"),
        ("My dad beats me when he's angry", "safeguarding"),
        ("I'm scared to go home", "safeguarding"),
        ("I can't keep myself safe", "cannot-stay-safe"),
    ],
)
def test_high_rules(text: str, rule: str) -> None:
    assessment = risk_language_assess(text)
    assert assessment.level == "high"
    assert rule in rules(text)
    assert assessment.needs_review


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I wish I wasn't here", "passive-ideation"),
        ("Everyone would be better off without me", "passive-ideation"),
        ("Sometimes I wish I could go to sleep and not wake up", "passive-ideation"),
        ("What's the point in anything anymore", "hopelessness"),
        ("I feel hopeless", "hopelessness"),
        ("I had the urge to hurt myself but I didn't", "self-harm-urge"),
        ("I keep thinking about hurting my brother", "harm-to-others-thoughts"),
        ("I'm scared of my partner sometimes", "safeguarding-concern"),
    ],
)
def test_medium_rules(text: str, rule: str) -> None:
    assert level(text) == "medium"
    assert rule in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to live anymore",
        "I dont want to live anymore",
        "I don’t want to be alive anymore",
        "I no longer want to live",
        "I'm not safe tonight",
    ],
)
def test_phrases_whose_meaning_is_a_negation_are_high(text: str) -> None:
    assert level(text) == "high"


@pytest.mark.parametrize(
    "text",
    [
        "I would never hurt myself",
        "I'm not suicidal, just tired",
        "I don't want to die, I just want things to get better",
        "I'd never kill myself, my kids need me",
        "No self harm, no suicidal thoughts, mood 7/10",
        "I'm not going to kill anyone",
    ],
)
def test_negated_risk_is_kept_as_a_reason_but_not_raised(text: str) -> None:
    assessment = risk_language_assess(text)
    assert assessment.level in ("none", "low")
    assert not assessment.needs_review
    assert any(reason.negated for reason in assessment.reasons)


def test_affirming_words_after_a_negation_do_not_negate() -> None:
    # "can't stop" and "not sure" affirm what follows.
    assert level("I can't stop thinking about killing myself") == "high"
    assert level("I'm not sure I can go on like this") == "medium"


def test_negation_reaches_only_its_own_clause() -> None:
    assert level("I'm not okay, I want to die") == "high"
    assert level("I don't know why but I want to kill myself") == "high"


@pytest.mark.parametrize(
    "text",
    [
        "This traffic is killing me",
        "I'm dying to see the new film",
        "I could kill for a coffee",
        "My boss will kill me if I'm late",
        "I was bored to death",
        "The deadline is Friday",
        "My phone died",
        "I'm dead tired",
        "She killed it in the presentation",
    ],
)
def test_idioms_and_hyperbole_raise_nothing(text: str) -> None:
    assert level(text) == "none"


def test_an_idiom_does_not_hide_a_disclosure_beside_it() -> None:
    assert level("This traffic is killing me and honestly I want to kill myself") == "high"


@pytest.mark.parametrize(
    "text",
    [
        "My friend killed himself last year",
        "My brother tried to commit suicide in March",
        "My sister says she wants to die",
    ],
)
def test_someone_elses_risk_is_flagged_at_medium(text: str) -> None:
    assert level(text) == "medium"
    assert "risk-mentioned" in rules(text)


def test_an_act_told_as_long_past_counts_as_medium() -> None:
    assessment = risk_language_assess("I used to cut myself when I was a teenager")
    assert assessment.level == "medium"
    (reason,) = [r for r in assessment.reasons if r.rule == "self-harm"]
    assert reason.level == "medium"
    assert "past" in reason.label


@pytest.mark.parametrize(
    "text",
    [
        "im gonna kill myself",
        "IM GONNA KILL MYSELF",
        "i wanna die",
        "i want 2 die",
        "i want to kms",
        "I  want   to\tdie",
    ],
)
def test_typos_case_and_shortcuts(text: str) -> None:
    assert level(text) == "high"


def test_distress_is_low_and_not_for_review() -> None:
    assessment = risk_language_assess("I'm overwhelmed and can't cope")
    assert assessment.level == "low"
    assert not assessment.needs_review
    assert {reason.rule for reason in assessment.reasons} == {"distress"}


def test_everyday_message_is_none_with_no_reasons() -> None:
    assessment = risk_language_assess("Can we move Tuesday's session to 3pm?")
    assert assessment == RiskAssessment(level="none", reasons=(), truncated=False)


def test_reasons_explain_the_match() -> None:
    assessment = risk_language_assess("Feeling low. I've got the pills in front of me")
    first = assessment.reasons[0]
    assert (first.rule, first.level, first.negated) == ("means", "high", False)
    assert first.excerpt == "got the pills"
    assert first.label == "Has the means to hand"
    # Highest level first, so a reader sees the reason that set the level.
    assert [reason.level for reason in assessment.reasons] == ["high", "low"]


def test_one_phrase_gives_one_reason() -> None:
    assessment = risk_language_assess("I'm suicidal")
    assert [reason.rule for reason in assessment.reasons] == ["suicidal-intent"]


def test_assessment_is_immutable() -> None:
    assessment = risk_language_assess("I want to die")
    with pytest.raises(dataclasses.FrozenInstanceError):
        assessment.level = "none"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_none(text: str) -> None:
    assert risk_language_assess(text) == RiskAssessment(level="none", reasons=())


@pytest.mark.parametrize("value", [None, 42, b"I want to die", ["I want to die"]])
def test_non_string_is_refused_clearly(value: object) -> None:
    with pytest.raises(TypeError, match="expects text as str, not"):
        risk_language_assess(value)  # type: ignore[arg-type]


def test_huge_text_is_read_only_up_to_the_cap_and_says_so() -> None:
    filler = "Can we move the session? " * (MAX_CHARS // 25 + 10)
    hidden = filler + "I want to kill myself"
    assessment = risk_language_assess(hidden)
    assert assessment.truncated
    assert "suicidal-intent" not in rules(hidden)
    # The unread tail could hold a disclosure, so the message still goes to a person.
    assert assessment.level == "medium"
    assert assessment.reasons[0].rule == "not-fully-read"


def test_text_within_the_cap_is_read_to_the_end() -> None:
    text = "ok " * ((MAX_CHARS - 30) // 3) + "I want to die"
    assert len(text) <= MAX_CHARS
    assessment = risk_language_assess(text)
    assert not assessment.truncated
    assert assessment.level == "high"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_valid_assessment(text: str) -> None:
    assessment = risk_language_assess(text)
    assert assessment.level in LEVELS
    assert assessment.needs_review == (assessment.level in ("medium", "high"))
    counted = [r.level for r in assessment.reasons if not r.negated]
    expected = max(counted, key=LEVELS.index, default="none")
    assert assessment.level == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_a_disclosure_is_found_whatever_surrounds_it(before: str, after: str) -> None:
    # Sentence breaks keep the surrounding text out of the disclosure's clause.
    assessment = risk_language_assess(f"{before}. I want to kill myself. {after}")
    assert assessment.needs_review


def test_an_unrecognised_wording_with_a_risk_word_still_goes_to_a_person() -> None:
    assessment = risk_language_assess("the rope is still there")
    assert assessment.level == "medium"
    (reason,) = assessment.reasons
    assert (reason.rule, reason.excerpt) == ("risk-word", "rope")


def test_a_risk_word_in_an_idiom_or_a_negation_raises_nothing() -> None:
    assert level("my phone died again") == "none"
    assert level("I don't want to hurt anyone") == "none"


def test_the_same_words_matched_again_give_one_reason() -> None:
    assessment = risk_language_assess("I want to die. " * 500)
    assert assessment.level == "high"
    assert [reason.excerpt for reason in assessment.reasons] == ["i want to die"]


# --- The concern lexicon: words by meaning, combined per sentence ---------------------


def concern(text: str) -> list[str]:
    return [r.label for r in risk_language_assess(text).reasons if r.rule == "concern-words"]


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        # intent or timing with a method, means or an ending
        ("I'm taking all my insulin tonight", ("method", "intent")),
        ("Decided. The bridge, tomorrow morning", ("method", "intent")),
        ("tonite im gonna go through with it", ("ending", "intent")),
        ("I've made up my mind, I'm not going to be around much longer", ("intent",)),
        ("been researching the quickest way out", ("method", "intent")),
        ("I'm going to crash the car into a wall on purpose", ("method", "intent")),
        ("Theres a blade in my hand right now", ("method", "intent")),
        # wanting to die, means with an ending, hopelessness with means
        ("honestly i just wish to be dead", ("wish-to-die",)),
        ("I've got enough pills to never wake up", ("method", "ending")),
        ("I can't keep going, I'm getting the tablets out", ("hopelessness", "method")),
        # a goodbye with another sign
        ("This is my last message. Thank you for everything", ("finality",)),
        ("Please look after my cat for me when I'm gone", ("finality",)),
        ("Cancel my sessions, I won't need them. Tell my mum I'm sorry", ("finality",)),
        # self-harm, harm to others, abuse
        ("I relapsed and there was so much blood", ("self-harm",)),
        ("I'm going to set fire to her house", ("harm-others",)),
        ("My stepbrother said he'll smash my face in if I tell", ("abuse",)),
    ],
)
def test_lexicon_combinations_are_high_and_name_their_words(
    text: str, categories: tuple[str, ...]
) -> None:
    assessment = risk_language_assess(text)
    assert assessment.level == "high", assessment.reasons
    labels = " ".join(concern(text))
    # Either a phrase rule already knew it, or the lexicon says which meanings matched.
    phrase_rule_high = any(
        r.level == "high" and r.rule != "concern-words" for r in assessment.reasons
    )
    assert labels or phrase_rule_high
    if labels:
        assert "Words of concern" in labels
        for category in categories:
            assert _LEXICON[category][0] in labels


@pytest.mark.parametrize(
    "text",
    [
        "Nothing matters anymore, I'm empty inside",
        "people would be better off if I just vanished",
        "If something happened to me I wouldn't fight it",
        "I don't see myself growing old",
        "Been having really bleak thoughts",
        "My mate tried to end his life last month",
        "I'm on the roof of the multi-storey",
        "He takes my phone and won't let me see my friends",
        "I'm frightened of my husband",
        "I'm scared I'll lash out at the baby",
        "there's a stash of co-codamol in the drawer",
        "i keep staring at the train tracks on the way home, theres a fast train at 6",
        "I'm not sure life is worth it anymore",
        "I don't really see why I bother",
        "I keep picking at my skin until it bleeds",
    ],
)
def test_lexicon_words_of_concern_go_to_a_person(text: str) -> None:
    assert risk_language_assess(text).needs_review, text


@pytest.mark.parametrize(
    "text",
    [
        "I would never hurt myself",
        "I'm not going to take all my tablets, don't worry",
        "This traffic is killing me",
        "I had a blood test today, results next week",
        "Can we move Tuesday's session to 3pm?",
        "I'm going to the gym tonight",
        "I've decided to start running again",
        "Thanks for today, see you next week",
        "I'm getting the train tomorrow so might be late",
    ],
)
def test_idioms_negations_and_everyday_plans_stay_out_of_review(text: str) -> None:
    assert not risk_language_assess(text).needs_review, risk_language_assess(text).reasons


@pytest.mark.parametrize(
    "text",
    [
        # The risk-word fallback ignores negation on purpose, so these stay medium,
        # but neither is raised to high by the lexicon.
        "I don't have any pills at home and I'm not planning anything",
        "Goodbye and thanks, see you after the holidays",
    ],
)
def test_negated_or_meeting_again_is_not_raised_to_high(text: str) -> None:
    assert level(text) == "medium"


def test_lexicon_reason_is_explainable() -> None:
    assessment = risk_language_assess("I'll inject all my insulin tonight")
    (reason,) = [r for r in assessment.reasons if r.rule == "concern-words"]
    assert reason.level == "high"
    assert "'all my insulin'" in reason.label and "'tonight'" in reason.label
    assert reason.excerpt == "i'll inject all my insulin tonight"


def test_lexicon_reads_across_two_sentences() -> None:
    # The ending comes in one sentence, the time in the next.
    assert level("I'm going to go through with it. Tonight.") == "high"


def test_lexicon_act_told_as_past_is_medium() -> None:
    assessment = risk_language_assess("Years ago I took all my tablets at once")
    assert assessment.level == "medium"


def test_lexicon_does_not_raise_someone_elses_wish_to_high() -> None:
    assert level("My sister says she wants to die") == "medium"


def test_the_negated_phrase_stays_negated_in_the_lexicon() -> None:
    # "make sure I don't wake up" carries its negation as its meaning.
    assert level("I'm going to make sure I don't wake up") == "high"


@pytest.mark.parametrize(
    "text",
    [
        "die " * 5000,
        "all my pills tonight. " * 900,
        "I'm not going to be around " * 800,
        "goodbye thank you for everything " * 600,
        "my step brother said he'll " * 700,
    ],
)
def test_long_repetitive_text_stays_fast(text: str) -> None:
    import time

    started = time.perf_counter()
    risk_language_assess(text)
    assert time.perf_counter() - started < 1.5
