"""Benchmark: plan roadmaps over a 60-action catalogue, the incremental planner vs the full re-roll-up.

The baseline is the planner as it was before issue #24 (`BaselinePlanner`: every candidate plan re-rolls
the whole requirement tree in exact Fractions and calls the subsidy engine again), run in the same process
on the same cases, interleaved so machine load hits both alike. The subsidy function is the policy engine
itself (Wujin, on a date when the city's and the district's policies are in force). Both must return the
same roadmaps; the ratio is baseline time / new time (target ≥ 3).

    python bench/roadmap_bench.py [--candidates 60] [--cases 6] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import planning
from scoring.maturity import load_model, plan_roadmap, roadmap, synthetic
from scoring.maturity.engine import rollup
from scoring.maturity.roadmap import Action, investments_of
from scoring.maturity.rule import total_score

MODEL = load_model()


class BaselinePlanner(roadmap._Planner):
    """The state evaluation before #24: the whole tree rolled up per candidate, nothing remembered."""

    def state(self, plan: Sequence[Action]) -> tuple[Fraction, int, int, int]:
        ratings = dict(self.base)
        for action in plan:
            for rid in action.satisfies:
                if ratings.get(rid, Fraction(0)) is not None:
                    ratings[rid] = Fraction(1)
        levels = rollup(ratings, self.model, self.industry)
        total = total_score([x if x is not None else Fraction(0) for x in levels], self.model.thresholds)
        cost = sum(a.cost_cny(self.scale) for a in plan)
        subsidy = int(self.subsidy_fn(investments_of(plan, self.scale, total.level))) if plan else 0
        return total.score, total.level, cost, subsidy

    def __init__(self, assessment, model, scale, subsidy_fn) -> None:  # type: ignore[no-untyped-def]
        super().__init__(assessment, model, scale, subsidy_fn)
        self.base = roadmap.ratings_of(assessment)
        self.industry = assessment.industry_type


def plan_all(cases: list[tuple], catalogue: tuple[Action, ...], planner: type) -> tuple[float, list[dict]]:  # type: ignore[type-arg]
    """Seconds to plan every case with `planner`, and the roadmaps."""
    roadmap._Planner = planner  # type: ignore[misc]
    try:
        started = time.perf_counter()
        out = [
            plan_roadmap(a, MODEL, target, scale, fn, actions=catalogue).to_dict()
            for a, target, scale, fn in cases
        ]
        return time.perf_counter() - started, out
    finally:
        roadmap._Planner = NEW_PLANNER  # type: ignore[misc]


NEW_PLANNER = roadmap._Planner


def main() -> None:
    """Print seconds per roadmap for both planners, their ratio, and whether the roadmaps are identical."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=60)
    parser.add_argument("--cases", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    catalogue = synthetic.widened_catalogue(args.candidates)
    subsidy = planning.subsidy_function(region="320412", date="2024-06-01")
    cases = [
        (
            synthetic.assessment(MODEL, seed, "process" if seed % 2 else "discrete"),
            3 + seed % 3,
            "medium",
            subsidy,
        )
        for seed in range(args.cases)
    ]
    base_s: list[float] = []
    new_s: list[float] = []
    for _ in range(args.rounds):
        b, base_maps = plan_all(cases, catalogue, BaselinePlanner)
        n, new_maps = plan_all(cases, catalogue, NEW_PLANNER)
        if base_maps != new_maps:
            raise SystemExit("the planners returned different roadmaps")
        base_s.append(b)
        new_s.append(n)
    steps = sum(len(m["steps"]) for m in new_maps)
    per = args.cases
    print(
        f"cases: {per} roadmaps over {len(catalogue)} candidate actions ({steps} steps in all); identical: yes"
    )
    print(
        f"baseline (full re-roll-up per candidate): {statistics.median(base_s) / per * 1000:,.0f} ms per roadmap"
    )
    print(
        f"incremental planner:                      {statistics.median(new_s) / per * 1000:,.0f} ms per roadmap"
    )
    print(f"ratio baseline / new: {statistics.median(base_s) / statistics.median(new_s):.1f}")


if __name__ == "__main__":
    main()
