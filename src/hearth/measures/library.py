"""What the client reads: each instrument's instructions, item wording and response
options, as published. Scoring rules live in ``hearth.measures.scoring``.

Sources and terms of use:

- PHQ-9 and GAD-7: the Pfizer-funded PHQ screeners (Spitzer, Williams, Kroenke and
  colleagues), phqscreeners.com — "no permission required to reproduce, translate,
  display or distribute".
- CORE-10: CORE System Trust (Barkham et al. 2013), coreims.co.uk — free to copy,
  not to be altered.
- WSAS: Mundt, Marks, Shear & Greist 2002, Br J Psychiatry 180:461, appendix.
- ORS and SRS: Miller & Duncan 2000 (ORS), Johnson, Miller & Duncan 2000 (SRS); the
  four scales and their anchors as printed on the forms, free for individual use.
"""

from __future__ import annotations

from dataclasses import dataclass

from hearth.measures.scoring import Instrument, instrument


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as on the published form
    text: str
    options: tuple[tuple[int, str], ...]  # (value, label); empty for a 0–10 line
    required: bool = True


@dataclass(frozen=True)
class Form:
    code: str
    title: str
    instructions: str
    items: tuple[Item, ...]
    source: str
    line_anchors: tuple[str, str] | None = None  # ORS/SRS: the two ends of each line

    @property
    def instrument(self) -> Instrument:
        return instrument(self.code)


PHQ_OPTIONS = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
CORE_OPTIONS = (
    (0, "Not at all"),
    (1, "Only occasionally"),
    (2, "Sometimes"),
    (3, "Often"),
    (4, "Most or all of the time"),
)
WSAS_OPTIONS = (
    (0, "0 — Not at all impaired"),
    (1, "1"),
    (2, "2 — Slightly"),
    (3, "3"),
    (4, "4 — Definitely"),
    (5, "5"),
    (6, "6 — Markedly"),
    (7, "7"),
    (8, "8 — Very severely"),
)


def _items(texts: list[str], options: tuple[tuple[int, str], ...]) -> tuple[Item, ...]:
    return tuple(Item(n, text, options) for n, text in enumerate(texts, start=1))


FORMS: dict[str, Form] = {
    "PHQ-9": Form(
        code="PHQ-9",
        title="How you have been feeling (PHQ-9)",
        instructions=(
            "Over the last 2 weeks, how often have you been bothered by any of the "
            "following problems?"
        ),
        items=(
            *_items(
                [
                    "Little interest or pleasure in doing things",
                    "Feeling down, depressed, or hopeless",
                    "Trouble falling or staying asleep, or sleeping too much",
                    "Feeling tired or having little energy",
                    "Poor appetite or overeating",
                    "Feeling bad about yourself — or that you are a failure or have let "
                    "yourself or your family down",
                    "Trouble concentrating on things, such as reading the newspaper or "
                    "watching television",
                    "Moving or speaking so slowly that other people could have noticed? Or "
                    "the opposite — being so fidgety or restless that you have been moving "
                    "around a lot more than usual",
                    "Thoughts that you would be better off dead or of hurting yourself in some way",
                ],
                PHQ_OPTIONS,
            ),
            Item(
                10,
                "If you checked off any problems, how difficult have these problems made "
                "it for you to do your work, take care of things at home, or get along "
                "with other people?",
                (
                    (0, "Not difficult at all"),
                    (1, "Somewhat difficult"),
                    (2, "Very difficult"),
                    (3, "Extremely difficult"),
                ),
                required=False,
            ),
        ),
        source="PHQ-9, Kroenke, Spitzer & Williams 2001; phqscreeners.com",
    ),
    "GAD-7": Form(
        code="GAD-7",
        title="Worry and anxiety (GAD-7)",
        instructions=(
            "Over the last 2 weeks, how often have you been bothered by the following problems?"
        ),
        items=_items(
            [
                "Feeling nervous, anxious or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid as if something awful might happen",
            ],
            PHQ_OPTIONS,
        ),
        source="GAD-7, Spitzer, Kroenke, Williams & Löwe 2006; phqscreeners.com",
    ),
    "CORE-10": Form(
        code="CORE-10",
        title="How you have been over the last week (CORE-10)",
        instructions=(
            "This form has 10 statements about how you have been OVER THE LAST WEEK. "
            "Please read each statement and think how often you felt that way last week."
        ),
        items=_items(
            [
                "I have felt tense, anxious or nervous",
                "I have felt I have someone to turn to for support when needed",
                "I have felt able to cope when things go wrong",
                "Talking to people has felt too much for me",
                "I have felt panic or terror",
                "I made plans to end my life",
                "I have had difficulty getting to sleep or staying asleep",
                "I have felt despairing or hopeless",
                "I have felt unhappy",
                "Unwanted images or memories have been distressing me",
            ],
            CORE_OPTIONS,
        ),
        source="CORE-10, Barkham et al. 2013; CORE System Trust",
    ),
    "WSAS": Form(
        code="WSAS",
        title="Work and social adjustment (WSAS)",
        instructions=(
            "People's problems sometimes affect their ability to do certain day-to-day "
            "tasks in their lives. Rate each of the following on a scale of 0 (not at all "
            "impaired) to 8 (very severely impaired). If you are retired or choose not to "
            "have a job for reasons unrelated to your problem, choose 0 for the first item."
        ),
        items=_items(
            [
                "Because of my problem my ability to work is impaired",
                "Because of my problem my home management (cleaning, tidying, shopping, "
                "cooking, looking after home or children, paying bills) is impaired",
                "Because of my problem my social leisure activities (with other people, "
                "such as parties, bars, clubs, outings, visits, dating, home "
                "entertaining) are impaired",
                "Because of my problem, my private leisure activities (done alone, such "
                "as reading, gardening, collecting, sewing, walking alone) are impaired",
                "Because of my problem, my ability to form and maintain close "
                "relationships with others, including those I live with, is impaired",
            ],
            WSAS_OPTIONS,
        ),
        source="WSAS, Mundt, Marks, Shear & Greist 2002",
    ),
    "ORS": Form(
        code="ORS",
        title="How you have been doing (ORS)",
        instructions=(
            "Looking back over the last week, including today, help us understand how "
            "you have been feeling by rating how well you have been doing in each area "
            "of your life, from 0 (low) to 10 (high)."
        ),
        items=_items(
            [
                "Individually (personal well-being)",
                "Interpersonally (family, close relationships)",
                "Socially (work, school, friendships)",
                "Overall (general sense of well-being)",
            ],
            (),
        ),
        source="Outcome Rating Scale, Miller & Duncan 2000; Miller et al. 2003",
        line_anchors=("Low", "High"),
    ),
    "SRS": Form(
        code="SRS",
        title="How today's session went (SRS)",
        instructions=(
            "Please rate today's session by choosing the number that best fits your "
            "experience, from 0 to 10."
        ),
        items=_items(
            [
                "Relationship: I felt heard, understood and respected",
                "Goals and topics: we worked on and talked about what I wanted to work on "
                "and talk about",
                "Approach or method: the therapist's approach is a good fit for me",
                "Overall: today's session was right for me",
            ],
            (),
        ),
        source="Session Rating Scale, Johnson, Miller & Duncan 2000; Duncan et al. 2003",
        line_anchors=("Not at all", "Completely"),
    ),
}


def form_of(code: str) -> Form:
    """The client-facing form of an instrument (``ValueError`` for an unknown code)."""
    inst = instrument(code)
    return FORMS[inst.code]


def item_text(code: str, number: int) -> str:
    return form_of(code).items[number - 1].text
