"""Pure scoring of the SME digital-level index: answers → dimension scores, scenario grades, level, reasons.

Answers are plain data::

    {"items": {"F1": ["industrial_network"], "F2": "le40", ...},   # single: an option id; multi: a list
     "scenarios": {"product_design": 2, "energy": 0, ...}}          # grade 0 (未达一级) … 4 (四级)

A multi item answered with an empty list is 无. Every item and scenario must be answered unless
`allow_missing=True` (a questionnaire in progress), in which case the missing ones are listed in the
result and count nothing. Anything else the index does not allow raises `AnswerError` naming the item or
scenario and what it allows: never a silent 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from scoring.sme.model import GRADES, Item, LevelCut, SmeIndex, load_index


class AnswerError(ValueError):
    """An answer the index does not allow: `key` is the item or scenario id, `allowed` what it takes."""

    def __init__(self, key: str, problem: str, allowed: tuple[str, ...]) -> None:
        self.key = key
        self.problem = problem
        self.allowed = allowed
        super().__init__(f"{key}: {problem}; allowed: {', '.join(allowed)}")


@dataclass(frozen=True, slots=True)
class ItemScore:
    id: str
    dimension: str
    name_zh: str
    options: tuple[str, ...]  # the chosen option ids (single: one; multi: any, () = 无; missing: ())
    points: Fraction
    max_points: Fraction
    answered: bool
    confirmed: bool


@dataclass(frozen=True, slots=True)
class DimensionScore:
    id: str
    name_zh: str
    points: Fraction
    max_points: Fraction


@dataclass(frozen=True, slots=True)
class ScenarioGrade:
    id: str
    name_zh: str
    constraint: bool
    grade: int
    grade_zh: str
    answered: bool
    confirmed: bool


@dataclass(frozen=True, slots=True)
class LevelCheck:
    """One level of the rule against this result: score, scenarios at that grade or above, ★ among them."""

    level: int
    name_zh: str
    min_score: Fraction
    score_met: bool
    scenarios: int
    min_scenarios: int
    constraint_scenarios: int
    min_constraint: int

    @property
    def met(self) -> bool:
        return (
            self.score_met
            and self.scenarios >= self.min_scenarios
            and self.constraint_scenarios >= self.min_constraint
        )


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """A part of the index the result rests on that public sources do not confirm (以正式文件为准)."""

    kind: str  # level_rule | constraints | item | option | scenario
    id: str
    note_zh: str


@dataclass(frozen=True, slots=True)
class SmeResult:
    index_version: str
    items: tuple[ItemScore, ...]
    dimensions: tuple[DimensionScore, ...]
    total: Fraction
    max_total: Fraction
    scenarios: tuple[ScenarioGrade, ...]
    checks: tuple[LevelCheck, ...]
    level: int  # 0: 无等级
    level_zh: str
    reason_zh: str
    next_zh: str
    missing: tuple[str, ...]
    unconfirmed: tuple[Unconfirmed, ...]
    notice_zh: str  # "以正式文件为准" when anything unconfirmed bears on the result

    @property
    def provisional(self) -> bool:
        """True while answers are missing: the level is what the answers so far give."""
        return bool(self.missing)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: points as decimal strings rounded to 0.01."""
        return {
            "index_version": self.index_version,
            "total": fmt(self.total),
            "max_total": fmt(self.max_total),
            "dimensions": [
                {"id": d.id, "name_zh": d.name_zh, "points": fmt(d.points), "max_points": fmt(d.max_points)}
                for d in self.dimensions
            ],
            "items": [
                {
                    "id": i.id,
                    "dimension": i.dimension,
                    "options": list(i.options),
                    "points": fmt(i.points),
                    "max_points": fmt(i.max_points),
                    "answered": i.answered,
                    "confirmed": i.confirmed,
                }
                for i in self.items
            ],
            "scenarios": [
                {
                    "id": s.id,
                    "name_zh": s.name_zh,
                    "constraint": s.constraint,
                    "grade": s.grade,
                    "grade_zh": s.grade_zh,
                    "answered": s.answered,
                    "confirmed": s.confirmed,
                }
                for s in self.scenarios
            ],
            "checks": [
                {
                    "level": c.level,
                    "name_zh": c.name_zh,
                    "min_score": fmt(c.min_score),
                    "score_met": c.score_met,
                    "scenarios": c.scenarios,
                    "min_scenarios": c.min_scenarios,
                    "constraint_scenarios": c.constraint_scenarios,
                    "min_constraint": c.min_constraint,
                    "met": c.met,
                }
                for c in self.checks
            ],
            "level": self.level,
            "level_zh": self.level_zh,
            "reason_zh": self.reason_zh,
            "next_zh": self.next_zh,
            "missing": list(self.missing),
            "provisional": self.provisional,
            "confirmed": not self.unconfirmed,
            "unconfirmed": [{"kind": u.kind, "id": u.id, "note_zh": u.note_zh} for u in self.unconfirmed],
            "notice_zh": self.notice_zh,
        }


def fmt(value: Fraction) -> str:
    """A point value for people: at most two decimals, trailing zeros dropped (45.714… → "45.71", 20 → "20")."""
    text = str(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    )
    return text.rstrip("0").rstrip(".") if "." in text else text


def _item_points(item: Item, value: object) -> tuple[tuple[str, ...], Fraction]:
    allowed = item.option_ids
    if item.kind == "single":
        if not isinstance(value, str):
            raise AnswerError(item.id, f"takes one option id, got {value!r}", allowed)
        option = item.option(value)
        if option is None:
            raise AnswerError(item.id, f"unknown option {value!r}", allowed)
        return (value,), option.points
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise AnswerError(item.id, f"takes a list of option ids ([] = 无), got {value!r}", allowed)
    chosen: list[str] = list(value)
    unknown = [v for v in chosen if item.option(v) is None]
    if unknown:
        raise AnswerError(item.id, f"unknown option(s) {', '.join(map(repr, unknown))}", allowed)
    if len(set(chosen)) != len(chosen):
        raise AnswerError(item.id, "an option is ticked twice", allowed)
    order = [o.id for o in item.options if o.id in chosen]
    total = sum((o.points for o in item.options if o.id in chosen), Fraction(0))
    return tuple(order), min(total, item.points)


def _grade(scenario_id: str, value: object) -> int:
    allowed = tuple(str(g) for g in GRADES)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AnswerError(scenario_id, f"grade must be an integer 0–4 (0 = 未达一级), got {value!r}", allowed)
    if value not in GRADES:
        raise AnswerError(scenario_id, f"grade {value} is out of range 0–4 (0 = 未达一级)", allowed)
    return value


def _section(answers: Mapping[str, object], key: str) -> Mapping[str, object]:
    section = answers.get(key, {})
    if not isinstance(section, Mapping) or not all(isinstance(k, str) for k in section):
        raise AnswerError(key, f"must be an object keyed by id, got {type(section).__name__}", ())
    return section


def _check(cut: LevelCut, total: Fraction, grades: tuple[ScenarioGrade, ...]) -> LevelCheck:
    at = [s for s in grades if s.grade >= cut.level]
    return LevelCheck(
        level=cut.level,
        name_zh=cut.name_zh,
        min_score=cut.min_score,
        score_met=total >= cut.min_score,
        scenarios=len(at),
        min_scenarios=cut.min_scenarios,
        constraint_scenarios=sum(1 for s in at if s.constraint),
        min_constraint=cut.min_constraint,
    )


def _reason(total: Fraction, level: int, checks: tuple[LevelCheck, ...], no_level_zh: str) -> str:
    """Why this level, in one Chinese sentence built from the rule's numbers."""
    if level:
        c = checks[level - 1]
        return (
            f"总分 {fmt(total)} 分（{c.name_zh}需 {fmt(c.min_score)} 分），{c.scenarios} 个场景达到{c.name_zh}"
            f"及以上（需 {c.min_scenarios} 个），其中约束性场景 {c.constraint_scenarios} 个"
            f"（需 {c.min_constraint} 个），评为{c.name_zh}。"
        )
    first = checks[0]
    short: list[str] = []
    if not first.score_met:
        short.append(f"总分 {fmt(total)} 分，不足{first.name_zh}所需 {fmt(first.min_score)} 分")
    if first.scenarios < first.min_scenarios:
        short.append(
            f"达到{first.name_zh}及以上的场景只有 {first.scenarios} 个（需 {first.min_scenarios} 个）"
        )
    if first.constraint_scenarios < first.min_constraint:
        short.append(
            f"达到{first.name_zh}及以上的约束性场景只有 {first.constraint_scenarios} 个"
            f"（需 {first.min_constraint} 个）"
        )
    scored = [c for c in checks if c.score_met]
    lead = f"总分 {fmt(total)} 分虽已达到{scored[-1].name_zh}分数线，但" if scored else ""
    return f"{lead}{'；'.join(short)}，{no_level_zh}。"


def _next(total: Fraction, level: int, checks: tuple[LevelCheck, ...]) -> str:
    """What the next level needs, e.g. "再有 2 个约束性场景达到二级即可达到二级"."""
    if level == len(checks):
        return f"已达到最高等级{checks[-1].name_zh}。"
    c = checks[level]
    parts: list[str] = []
    if not c.score_met:
        parts.append(f"总分再提高 {fmt(c.min_score - total)} 分")
    need_all = max(0, c.min_scenarios - c.scenarios)
    need_star = max(0, c.min_constraint - c.constraint_scenarios)
    if need_star and need_star >= need_all:
        parts.append(f"再有 {need_star} 个约束性场景达到{c.name_zh}")
    elif need_star:
        parts.append(f"再有 {need_all} 个场景达到{c.name_zh}（其中至少 {need_star} 个约束性场景）")
    elif need_all:
        parts.append(f"再有 {need_all} 个场景达到{c.name_zh}")
    if len(parts) == 1:
        return f"{parts[0]}即可达到{c.name_zh}。"
    return f"{'，'.join(parts)}，即可达到{c.name_zh}。"


def score_answers(
    answers: Mapping[str, object], *, index: SmeIndex | None = None, allow_missing: bool = False
) -> SmeResult:
    """Score one evaluation's answers against the index (default: the packaged version)."""
    idx = index or load_index()
    if not isinstance(answers, Mapping):
        raise AnswerError(
            "answers", f"must be an object, got {type(answers).__name__}", ("items", "scenarios")
        )
    extra = sorted(set(answers) - {"items", "scenarios"})
    if extra:
        raise AnswerError("answers", f"unknown key(s) {', '.join(extra)}", ("items", "scenarios"))
    item_answers = _section(answers, "items")
    scenario_answers = _section(answers, "scenarios")
    item_ids = tuple(i.id for i in idx.items)
    scenario_ids = tuple(s.id for s in idx.scenarios)
    for key in item_answers:
        if idx.item(key) is None:
            raise AnswerError(key, "unknown item", item_ids)
    for key in scenario_answers:
        if idx.scenario(key) is None:
            raise AnswerError(key, "unknown scenario", scenario_ids)
    missing = tuple(i for i in item_ids if i not in item_answers) + tuple(
        s for s in scenario_ids if s not in scenario_answers
    )
    if missing and not allow_missing:
        raise AnswerError("answers", f"unanswered: {', '.join(missing)}", item_ids + scenario_ids)

    unconfirmed: list[Unconfirmed] = []
    rule = idx.level_rule
    if not rule.confirmed:
        unconfirmed.append(Unconfirmed("level_rule", "level_rule", rule.note_zh))
    if not idx.constraints.confirmed:
        unconfirmed.append(Unconfirmed("constraints", "constraints", idx.constraints.note_zh))

    items: list[ItemScore] = []
    for item in idx.items:
        answered = item.id in item_answers
        chosen, points = _item_points(item, item_answers[item.id]) if answered else ((), Fraction(0))
        items.append(
            ItemScore(
                item.id, item.dimension, item.name_zh, chosen, points, item.points, answered, item.confirmed
            )
        )
        if not item.confirmed:
            unconfirmed.append(Unconfirmed("item", item.id, item.note_zh or item.source))
        for option_id in chosen:
            option = item.option(option_id)
            if option is not None and not option.confirmed:
                unconfirmed.append(Unconfirmed("option", f"{item.id}.{option_id}", item.note_zh))

    grades: list[ScenarioGrade] = []
    for sc in idx.scenarios:
        answered = sc.id in scenario_answers
        grade = _grade(sc.id, scenario_answers[sc.id]) if answered else 0
        grades.append(
            ScenarioGrade(
                sc.id, sc.name_zh, sc.constraint, grade, idx.grade_name(grade), answered, sc.confirmed
            )
        )
        if not sc.confirmed:
            unconfirmed.append(Unconfirmed("scenario", sc.id, sc.note_zh or sc.source))

    dimensions = tuple(
        DimensionScore(
            d.id, d.name_zh, sum((i.points for i in items if i.dimension == d.id), Fraction(0)), d.points
        )
        for d in idx.dimensions
    )
    total = sum((d.points for d in dimensions), Fraction(0))
    scenario_grades = tuple(grades)
    checks = tuple(_check(cut, total, scenario_grades) for cut in rule.levels)
    level = max((c.level for c in checks if c.met), default=0)
    level_zh = checks[level - 1].name_zh if level else rule.no_level_zh
    return SmeResult(
        index_version=idx.version,
        items=tuple(items),
        dimensions=dimensions,
        total=total,
        max_total=idx.max_score,
        scenarios=scenario_grades,
        checks=checks,
        level=level,
        level_zh=level_zh,
        reason_zh=_reason(total, level, checks, rule.no_level_zh),
        next_zh=_next(total, level, checks),
        missing=missing,
        unconfirmed=tuple(unconfirmed),
        notice_zh=idx.notice_zh if unconfirmed else "",
    )
