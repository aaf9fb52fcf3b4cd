"""Seeded synthetic planning inputs for benchmarks and regression tests: assessments and a widened catalogue."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction

from scoring.maturity.assessment import Answer, Assessment
from scoring.maturity.model import MaturityModel
from scoring.maturity.roadmap import Action, load_actions

_MET = (Fraction(1), Fraction(4, 5))
_SHORT = (Fraction(1, 2), Fraction(0))


def assessment(model: MaturityModel, seed: int, industry: str = "discrete") -> Assessment:
    """Levels up to a random one mostly met, the rest mostly not; some requirements unanswered."""
    rnd = random.Random(seed)
    reached = rnd.randint(0, 3)
    answers = tuple(
        Answer(r.id, rnd.choice(_MET if r.level <= reached else _SHORT))
        for r in model.requirements
        if rnd.random() < 0.9
    )
    return Assessment(industry, answers)


def widened_catalogue(candidates: int, seed: int = 0) -> tuple[Action, ...]:
    """The packaged actions, then variants of them (other cost, subset of what they meet) up to `candidates`."""
    base = load_actions()
    rnd = random.Random(seed)
    out = list(base[:candidates])
    i = 0
    while len(out) < candidates:
        action = base[i % len(base)]
        keep = tuple(rid for rid in action.satisfies if rnd.random() < 0.8) or action.satisfies[:1]
        factor = rnd.choice((0.6, 0.8, 1.25, 1.5))
        out.append(
            replace(
                action,
                id=f"{action.id}-v{i}",
                satisfies=keep,
                cost_range_cny={
                    k: (int(lo * factor), int(hi * factor)) for k, (lo, hi) in action.cost_range_cny.items()
                },
            )
        )
        i += 1
    return tuple(out)
