"""How well the risk-language detector finds risk in labelled client sentences.

    .venv/bin/python bench/safety/risk_language.py [--csv PATH ...] [--quiet]

Reads the labelled sets (columns ``text,label``; label is high, medium, low or none),
in the order they were written:

- ``risk_sentences.csv``: the development set, written before any rule;
- ``risk_sentences_holdout.csv``: written after the first rules, measured once, then
  used for tuning;
- ``risk_sentences_fresh.csv``: written after that tuning, measured once, then used
  for tuning;
- ``risk_sentences_final.csv``: written after that tuning, measured once, then used
  for tuning;
- ``risk_sentences_unseen.csv``: written after the last rule change, never tuned on.

For each set it assesses every sentence with
``hearth.safety.language.risk_language_assess``
and prints, for the detector and for a naive keyword baseline run on the same set:
a confusion table of labelled against assessed level, precision and recall for
"needs review" (high or medium against low or none) and for "high", then every
sentence the detector placed at a different level from its label. Results go to
BENCHMARKS.md by hand, with the date and machine this prints.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scheduling"))

from common import _cpu_model, code_version, load_average

from hearth.safety.language import LEVELS, risk_language_assess

HERE = Path(__file__).resolve().parent
DEFAULT_CSVS = (
    HERE / "risk_sentences.csv",
    HERE / "risk_sentences_holdout.csv",
    HERE / "risk_sentences_fresh.csv",
    HERE / "risk_sentences_final.csv",
    HERE / "risk_sentences_unseen.csv",
)
REVIEW = frozenset({"high", "medium"})

# The baseline a first attempt would write: any of these words anywhere flags the
# message, and a flag counts as both "needs review" and "high".
BASELINE_WORDS = ("suicide", "kill", "die", "hurt", "harm", "dead")
_BASELINE = re.compile(r"\b(?:" + "|".join(BASELINE_WORDS) + r")", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    text: str
    label: str


def sentences_load(path: Path) -> list[Sentence]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [Sentence(row["text"], row["label"].strip()) for row in csv.DictReader(handle)]
    bad = [row for row in rows if row.label not in LEVELS]
    if bad:
        raise SystemExit(f"{path}: labels must be one of {LEVELS}; first bad row: {bad[0]}")
    return rows


def baseline_level(text: str) -> str:
    return "high" if _BASELINE.search(text) else "none"


def detector_level(text: str) -> str:
    return risk_language_assess(text).level


def precision_recall(pairs: Sequence[tuple[str, str]], positive: frozenset[str]) -> str:
    tp = sum(1 for truth, got in pairs if truth in positive and got in positive)
    fp = sum(1 for truth, got in pairs if truth not in positive and got in positive)
    fn = sum(1 for truth, got in pairs if truth in positive and got not in positive)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return (
        f"precision {precision:6.1%} ({tp}/{tp + fp})   recall {recall:6.1%} ({tp}/{tp + fn})"
        f"   missed {fn}, false alarms {fp}"
    )


def confusion_print(pairs: Sequence[tuple[str, str]]) -> None:
    counts = Counter(pairs)
    order = LEVELS[::-1]
    print("    labelled \\ assessed " + "".join(f"{level:>8}" for level in order))
    for truth in order:
        cells = "".join(f"{counts[(truth, got)]:>8}" for got in order)
        print(f"    {truth:>20} {cells}")


def report(name: str, rows: Sequence[Sentence], assess: Callable[[str], str]) -> list[str]:
    started = time.perf_counter()
    got = [assess(row.text) for row in rows]
    elapsed = time.perf_counter() - started
    pairs = [(row.label, level) for row, level in zip(rows, got, strict=True)]
    print(f"\n== {name}  ({len(rows)} sentences, {elapsed * 1000:.1f} ms in all)")
    confusion_print(pairs)
    print("  needs review (high+medium):", precision_recall(pairs, REVIEW))
    print("  high:                      ", precision_recall(pairs, frozenset({"high"})))
    exact = sum(1 for truth, level in pairs if truth == level)
    print(f"  exact level: {exact}/{len(pairs)} ({exact / len(pairs):.1%})")
    return got


def misclassified_print(rows: Sequence[Sentence], got: Sequence[str]) -> None:
    print("\n== Detector: sentences assessed at a different level from their label")
    for row, level in zip(rows, got, strict=True):
        if row.label != level:
            review = (row.label in REVIEW) != (level in REVIEW)
            mark = "REVIEW-MISMATCH" if review else "level"
            print(f"  [{mark:15}] labelled {row.label:6} assessed {level:6} | {row.text}")
            for reason in risk_language_assess(row.text).reasons:
                negated = " (negated)" if reason.negated else ""
                print(f"  {'':17}   - {reason.rule} {reason.level}{negated}: {reason.excerpt!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, nargs="+", default=list(DEFAULT_CSVS))
    parser.add_argument("--quiet", action="store_true", help="leave out the misclassified list")
    args = parser.parse_args()
    print(f"code {code_version()} | cpu {_cpu_model()} | load {load_average()}")
    for path in args.csv:
        rows = sentences_load(path)
        print(f"\n######## {path.name}: {len(rows)} sentences, labels", end=" ")
        print(dict(Counter(row.label for row in rows)))
        report(f"Baseline: any of {', '.join(BASELINE_WORDS)}", rows, baseline_level)
        got = report("Detector: hearth.safety.language", rows, detector_level)
        if not args.quiet:
            misclassified_print(rows, got)


if __name__ == "__main__":
    main()
