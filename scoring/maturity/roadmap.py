"""Roadmap planner: improvement actions chosen to reach a target level at least net cost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from scoring.maturity.assessment import Assessment
from scoring.maturity.engine import MetRollup, ratings_of, score
from scoring.maturity.model import MaturityModel, read_json
from scoring.maturity.rule import total_score

SCALES: tuple[str, ...] = ("small", "medium", "large")
CATEGORIES: tuple[str, ...] = ("equipment", "it", "robots", "energy", "management")
APPROACH = (
    "greedy: repeatedly add the action with the best gain in S per net yuan (actions whose net cost does "
    "not rise go first), then a local pass drops actions the target does not need and swaps an action "
    "for a cheaper unused one while the target level still holds; every plan is re-scored"
)
_MAX_LOCAL_ROUNDS = 3


@dataclass(frozen=True)
class Investments:
    """Cumulative investment of a plan, as the subsidy engine sees it (integer yuan)."""

    equipment_cny: int = 0
    it_cny: int = 0
    robots_cny: int = 0
    energy_saved_tce: Decimal | int = 0
    recognitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """One improvement action of the catalogue (data/actions.json)."""

    id: str
    name_zh: str
    name_en: str
    category: str
    satisfies: tuple[str, ...]
    cost_range_cny: dict[str, tuple[int, int]] = field(hash=False)
    duration_weeks: int
    recognitions: tuple[str, ...]
    energy_saved_tce: dict[str, int] = field(hash=False)
    source: str

    def cost_cny(self, scale: str) -> int:
        """Typical cost for a scale: the midpoint of its range, integer yuan."""
        low, high = self.cost_range_cny[scale]
        return (low + high) // 2


@dataclass(frozen=True)
class RoadmapStep:
    """One step of a roadmap with the state after it (cumulative money)."""

    action_id: str
    name_zh: str
    name_en: str
    category: str
    cost_cny: int
    cost_range_cny: tuple[int, int]
    duration_weeks: int
    level_after: int
    score_after: Fraction
    cumulative_cost_cny: int
    cumulative_subsidy_cny: int
    cumulative_net_cny: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        d = {k: v for k, v in vars(self).items() if k != "score_after"}
        d["score_after"] = round(float(self.score_after), 4)
        d["cost_range_cny"] = list(self.cost_range_cny)
        return d


@dataclass(frozen=True)
class Roadmap:
    """A plan to reach `target_level`; `reached` is verified by re-scoring the final state."""

    target_level: int
    scale: str
    start_level: int
    start_score: Fraction
    reached: bool
    final_level: int
    final_score: Fraction
    steps: tuple[RoadmapStep, ...]
    cost_cny: int
    subsidy_cny: int
    net_cost_cny: int
    investments: Investments
    approach: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        inv = self.investments
        return {
            "target_level": self.target_level,
            "scale": self.scale,
            "start_level": self.start_level,
            "start_score": round(float(self.start_score), 4),
            "reached": self.reached,
            "final_level": self.final_level,
            "final_score": round(float(self.final_score), 4),
            "steps": [s.to_dict() for s in self.steps],
            "cost_cny": self.cost_cny,
            "subsidy_cny": self.subsidy_cny,
            "net_cost_cny": self.net_cost_cny,
            "investments": {
                "equipment_cny": inv.equipment_cny,
                "it_cny": inv.it_cny,
                "robots_cny": inv.robots_cny,
                "energy_saved_tce": str(inv.energy_saved_tce),
                "recognitions": list(inv.recognitions),
            },
            "approach": self.approach,
            "note": self.note,
        }


@cache
def load_actions() -> tuple[Action, ...]:
    """The packaged improvement-action catalogue."""
    return tuple(
        Action(
            id=x["id"],
            name_zh=x["name_zh"],
            name_en=x["name_en"],
            category=x["category"],
            satisfies=tuple(x["satisfies"]),
            cost_range_cny={k: (int(v[0]), int(v[1])) for k, v in x["cost_cny"].items()},
            duration_weeks=int(x["duration_weeks"]),
            recognitions=tuple(x["recognitions"]),
            energy_saved_tce={k: int(v) for k, v in x["energy_saved_tce"].items()},
            source=x["source"],
        )
        for x in read_json("actions.json")["actions"]
    )


@cache
def recognition_levels() -> dict[str, int]:
    """Lowest maturity level at which a recognition can be applied for (data/recognition_levels.json)."""
    return {k: int(v) for k, v in read_json("recognition_levels.json")["min_level"].items()}


def investments_of(actions: Sequence[Action], scale: str, level: int | None = None) -> Investments:
    """Sum a plan's costs by category; energy projects count as equipment, management as none.

    With `level` (the maturity level the plan reaches), a recognition that needs a higher level is left
    out: a step earns e.g. the provincial smart-factory award only once the level after it meets it.
    """
    totals = dict.fromkeys(("equipment", "it", "robots"), 0)
    for a in actions:
        if a.category in ("equipment", "energy"):
            totals["equipment"] += a.cost_cny(scale)
        elif a.category in totals:
            totals[a.category] += a.cost_cny(scale)
    needs = recognition_levels()
    recognitions = sorted(
        {r for a in actions for r in a.recognitions if level is None or needs.get(r, 0) <= level}
    )
    return Investments(
        equipment_cny=totals["equipment"],
        it_cny=totals["it"],
        robots_cny=totals["robots"],
        energy_saved_tce=sum(a.energy_saved_tce.get(scale, 0) for a in actions),
        recognitions=tuple(recognitions),
    )


class _Planner:
    """Evaluates candidate plans (S, level, net cost) against one assessment.

    A plan's state depends only on the set of its actions, so each set is evaluated once; the roll-up of a
    variant re-adds only the sub-domains its actions touch (`MetRollup`), and the subsidy engine runs once
    per distinct investment total. The roadmap is verified at the end by the public scorer.
    """

    def __init__(
        self,
        assessment: Assessment,
        model: MaturityModel,
        scale: str,
        subsidy_fn: Callable[[Investments], int],
    ) -> None:
        self.model = model
        self.scale = scale
        self.subsidy_fn = subsidy_fn
        self._rollup = MetRollup(ratings_of(assessment), model, assessment.industry_type)
        self._states: dict[frozenset[Action], tuple[Fraction, int, int, int]] = {}
        self._subsidies: dict[Investments, int] = {}

    def state(self, plan: Sequence[Action]) -> tuple[Fraction, int, int, int]:
        """(S, level, cost, subsidy) after carrying out `plan`."""
        key = frozenset(plan)
        known = self._states.get(key)
        if known is None:
            known = self._states[key] = self._evaluate(plan)
        return known

    def _evaluate(self, plan: Sequence[Action]) -> tuple[Fraction, int, int, int]:
        levels = self._rollup.levels(rid for action in plan for rid in action.satisfies)
        total = total_score([x if x is not None else Fraction(0) for x in levels], self.model.thresholds)
        cost = sum(a.cost_cny(self.scale) for a in plan)
        subsidy = 0
        if plan:
            investments = investments_of(plan, self.scale, total.level)
            if investments not in self._subsidies:
                self._subsidies[investments] = int(self.subsidy_fn(investments))
            subsidy = self._subsidies[investments]
        return total.score, total.level, cost, subsidy

    def net(self, plan: Sequence[Action]) -> int:
        """Net cost of a plan."""
        _, _, cost, subsidy = self.state(plan)
        return cost - subsidy

    def greedy(self, target: int, candidates: Sequence[Action]) -> list[Action]:
        """Add the best ΔS per net yuan until the target is reached or nothing helps."""
        plan: list[Action] = []
        s, level, cost, subsidy = self.state(plan)
        while level < target:
            best: tuple[tuple[int, Fraction], Action, tuple[Fraction, int, int, int]] | None = None
            for action in candidates:
                if action in plan:
                    continue
                trial = self.state([*plan, action])
                gain = trial[0] - s
                if gain <= 0:
                    continue
                delta_net = (trial[2] - trial[3]) - (cost - subsidy)
                key = (1, gain) if delta_net <= 0 else (0, gain / delta_net)
                if best is None or key > best[0]:
                    best = (key, action, trial)
            if best is None:
                break
            plan.append(best[1])
            s, level, cost, subsidy = best[2]
        return plan

    def improve(self, target: int, plan: list[Action], candidates: Sequence[Action]) -> list[Action]:
        """Drop unneeded actions, then try cheaper swaps, keeping the target level."""
        for _ in range(_MAX_LOCAL_ROUNDS):
            changed = False
            for action in sorted(plan, key=lambda a: -a.cost_cny(self.scale)):
                trial = [a for a in plan if a is not action]
                if self.state(trial)[1] >= target and self.net(trial) <= self.net(plan):
                    plan, changed = trial, True
            for i in range(len(plan)):
                current_net = self.net(plan)
                for other in candidates:
                    if other in plan:
                        continue
                    trial = [*plan[:i], other, *plan[i + 1 :]]
                    if self.state(trial)[1] >= target and self.net(trial) < current_net:
                        plan, changed, current_net = trial, True, self.net(trial)
            if not changed:
                break
        return plan


def plan_roadmap(
    assessment: Assessment,
    model: MaturityModel,
    target_level: int,
    scale: str,
    subsidy_fn: Callable[[Investments], int],
    actions: Sequence[Action] | None = None,
) -> Roadmap:
    """Cheapest-net plan of catalogue actions reaching `target_level`, verified by re-scoring."""
    if scale not in SCALES:
        raise ValueError(f"scale {scale!r} is not one of {', '.join(SCALES)}")
    if target_level not in range(1, 6):
        raise ValueError(f"target_level {target_level!r} is not 1..5")
    catalogue = tuple(actions) if actions is not None else load_actions()
    planner = _Planner(assessment, model, scale, subsidy_fn)
    start_s, start_level, _, _ = planner.state([])
    plan = planner.greedy(target_level, catalogue)
    if planner.state(plan)[1] >= target_level:
        plan = planner.improve(target_level, plan, catalogue)
    steps = []
    for i in range(len(plan)):
        s, level, cost, subsidy = planner.state(plan[: i + 1])
        a = plan[i]
        steps.append(
            RoadmapStep(
                action_id=a.id,
                name_zh=a.name_zh,
                name_en=a.name_en,
                category=a.category,
                cost_cny=a.cost_cny(scale),
                cost_range_cny=a.cost_range_cny[scale],
                duration_weeks=a.duration_weeks,
                level_after=level,
                score_after=s,
                cumulative_cost_cny=cost,
                cumulative_subsidy_cny=subsidy,
                cumulative_net_cny=cost - subsidy,
            )
        )
    # Verification by the public scorer, independent of the planner's fast path.
    tailored = {a.requirement_id for a in assessment.answers if a.tailored}
    met = {rid: Fraction(1) for a in plan for rid in a.satisfies if rid not in tailored}
    final = score(assessment.with_ratings(met), model)
    _, _, cost, subsidy = planner.state(plan)
    reached = final.level >= target_level
    note = (
        "already at or above the target level"
        if start_level >= target_level
        else "target reached"
        if reached
        else "target not reachable with the action catalogue: remaining gaps need actions not catalogued"
    )
    return Roadmap(
        target_level=target_level,
        scale=scale,
        start_level=start_level,
        start_score=start_s,
        reached=reached,
        final_level=final.level,
        final_score=final.score,
        steps=tuple(steps),
        cost_cny=cost,
        subsidy_cny=subsidy,
        net_cost_cny=cost - subsidy,
        investments=investments_of(plan, scale, final.level),
        approach=APPROACH,
        note=note,
    )
