"""Gap list: unmet requirements of the next two levels, ranked by score gain per unit of effort."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scoring.maturity.assessment import Assessment
from scoring.maturity.engine import ratings_of, rollup
from scoring.maturity.model import MaturityModel
from scoring.maturity.rule import total_score

_ZERO = Fraction(0)


@dataclass(frozen=True)
class Gap:
    """One unmet requirement and what meeting it fully is worth."""

    requirement_id: str
    subdomain: str
    level: int
    current: Fraction
    level_gain: Fraction
    s_gain_now: Fraction
    effort: int
    statement_zh: str
    statement_en: str

    @property
    def priority(self) -> Fraction:
        """Level-score gain per effort point (the ranking key)."""
        return self.level_gain / self.effort

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "requirement_id": self.requirement_id,
            "subdomain": self.subdomain,
            "level": self.level,
            "current": float(self.current),
            "level_gain": round(float(self.level_gain), 4),
            "s_gain_now": round(float(self.s_gain_now), 4),
            "effort": self.effort,
            "priority": round(float(self.priority), 6),
            "statement_zh": self.statement_zh,
            "statement_en": self.statement_en,
        }


@dataclass(frozen=True)
class GapList:
    """Gaps for the next level and the one after, best first."""

    current_level: int
    current_score: Fraction
    target_levels: tuple[int, ...]
    gaps: tuple[Gap, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "current_level": self.current_level,
            "current_score": round(float(self.current_score), 4),
            "target_levels": list(self.target_levels),
            "gaps": [g.to_dict() for g in self.gaps],
        }


def _scores(ratings: dict[str, Fraction | None], model: MaturityModel, industry: str) -> tuple[Fraction, ...]:
    """Level scores with inapplicable levels as 0."""
    return tuple(x if x is not None else _ZERO for x in rollup(ratings, model, industry))


def gap_list(assessment: Assessment, model: MaturityModel, levels_ahead: int = 2) -> GapList:
    """Unmet requirements at the next `levels_ahead` levels, ranked by level-score gain per effort.

    `level_gain` is how much the requirement's own level score (and so S, once that level counts)
    rises if it is met in full; `s_gain_now` is the immediate change of S, which is 0 for a level
    that does not count yet because a lower level is below 0.8.
    """
    industry = assessment.industry_type
    ratings = ratings_of(assessment)
    base = _scores(ratings, model, industry)
    base_total = total_score(base, model.thresholds)
    targets = tuple(range(base_total.level + 1, min(base_total.level + levels_ahead, 5) + 1))
    gaps = []
    for req in model.requirements:
        if req.level not in targets or not req.applies_to(industry):
            continue
        current = ratings.get(req.id, _ZERO)
        if current is None or current == 1:
            continue
        trial = _scores({**ratings, req.id: Fraction(1)}, model, industry)
        gaps.append(
            Gap(
                requirement_id=req.id,
                subdomain=req.subdomain,
                level=req.level,
                current=current,
                level_gain=trial[req.level - 1] - base[req.level - 1],
                s_gain_now=total_score(trial, model.thresholds).score - base_total.score,
                effort=req.effort,
                statement_zh=req.statement_zh,
                statement_en=req.statement_en,
            )
        )
    gaps.sort(key=lambda g: (g.level, -g.priority, g.requirement_id))
    return GapList(base_total.level, base_total.score, targets, tuple(gaps))
