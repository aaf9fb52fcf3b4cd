"""The one place where level scores L1..L5 become the total score S and a maturity level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scoring.maturity.model import Thresholds, load_model

RULE_VERSION = "gbt39117-2020-cumulative.p1"
# Float inputs (e.g. 0.7999999999999999 from a float mean) are snapped to the nearest fraction with a
# small denominator so a threshold of 0.8 compares as the assessor expects.
_FLOAT_DENOMINATOR = 10**9


@dataclass(frozen=True)
class TotalScore:
    """S, the maturity level derived from it (0 = below level 1), and how many levels were added."""

    score: Fraction
    level: int
    levels_added: int
    rule_version: str = RULE_VERSION

    @property
    def score_rounded(self) -> float:
        """S rounded to 4 decimals for output."""
        return round(float(self.score), 4)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "score": self.score_rounded,
            "level": self.level,
            "levels_added": self.levels_added,
            "rule_version": self.rule_version,
        }


def as_fraction(value: Fraction | float | int) -> Fraction:
    """Exact value of a level score; floats are snapped to a small denominator."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(value).limit_denominator(_FLOAT_DENOMINATOR)


def total_score(
    level_scores: Sequence[Fraction | float | int], thresholds: Thresholds | None = None
) -> TotalScore:
    """S = L1 + L2 + … added upward while each lower level is ≥ 0.8 (the first one below is still added).

    GB/T 39117-2020 as read by the project: a level only counts once the levels below it are
    substantially met; the level follows from S by the cuts 4.8 / 3.8 / 2.8 / 1.8 / 0.8.
    """
    table = thresholds if thresholds is not None else load_model().thresholds
    total = Fraction(0)
    added = 0
    for raw in level_scores:
        value = as_fraction(raw)
        if not 0 <= value <= 1:
            raise ValueError(f"level score {raw!r} is outside [0, 1]")
        total += value
        added += 1
        if value < table.continue_at:
            break
    level = next((lv for cut, lv in table.level_cuts if total >= cut), 0)
    return TotalScore(score=total, level=level, levels_added=added)
