"""The scoring rules, in one place (also explained to authors in content/README.md).

1. Fixed maximum. Every case is scored out of 100, whatever path is taken — unlike H5P's
   dynamic mode, where a longer path can hold more points. A path cannot earn more by
   being longer, and cannot lose by being shorter when it does everything required.
2. Two parts:
   - STEP_SHARE (60) for the procedure: each required step of the case is worth its
     weight; "done" earns it all, "late" half, "missed" and "violated" nothing.
   - DECISION_SHARE (40) for judgement: the mean of the verdict points of the decisions
     made (best 1, acceptable 3/4, minor 1/2, major 0, critical 0).
   score = floor(60 × steps earned / steps possible + 40 × mean verdict points).
   Rounding down means 100 is only ever the best path, never a near miss.
3. The best path — every required step done in order, every choice "best" — scores
   exactly 100 (the checker refuses a case where no path does).
4. A critical choice fails the attempt whatever the points: passed is False and the score
   is capped at pass mark − 1, so the number never contradicts the verdict.
5. A step is "late" when it was done after a step that the procedure says must come after
   it (`etter:`), or after it had first been done wrongly (major or critical).
6. A step is "violated" when the only choices made for it were major or critical.
7. passed = reached an ending ∧ no critical choice ∧ score ≥ the case's pass mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from scenarios.model import Verdict

StepStatus = Literal["done", "late", "missed", "violated"]

MAX_SCORE = 100
STEP_SHARE = 60
DECISION_SHARE = MAX_SCORE - STEP_SHARE

VERDICT_POINTS: Mapping[Verdict, Fraction] = MappingProxyType(
    {
        Verdict.BEST: Fraction(1),
        Verdict.ACCEPTABLE: Fraction(3, 4),
        Verdict.MINOR: Fraction(1, 2),
        Verdict.MAJOR: Fraction(0),
        Verdict.CRITICAL: Fraction(0),
    }
)

STEP_CREDIT: Mapping[StepStatus, Fraction] = MappingProxyType(
    {"done": Fraction(1), "late": Fraction(1, 2), "missed": Fraction(0), "violated": Fraction(0)}
)


def combine(step_fraction: Fraction, decision_fraction: Fraction) -> int:
    """Combine the two parts (each 0..1) into a score 0..100, rounded down."""
    total = STEP_SHARE * step_fraction + DECISION_SHARE * decision_fraction
    return max(0, min(MAX_SCORE, int(total)))  # int() of a non-negative Fraction floors


def cap_for_critical(score: int, pass_mark: int) -> int:
    """Keep a failed attempt's score below the pass mark."""
    return min(score, max(pass_mark - 1, 0))
