"""The SME digital-level index (《中小企业数字化水平评测指标（2024年版）》, 工信厅企业〔2024〕56号) as cited data.

`load_index()` reads the packaged `data/index.json` once and validates it with pydantic models; a malformed
file fails loudly at load rather than score against it. `parse_index(raw)` validates a bureau's corrected
version the same way (import: validate first, then publish).
"""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

GRADES: tuple[int, ...] = (0, 1, 2, 3, 4)


def _fraction(value: object) -> Fraction:
    """A point value from the data: a decimal or fraction string ("1.875", "5/7") or an int, never a float."""
    if isinstance(value, bool) or not isinstance(value, str | int | Fraction):
        raise ValueError(f'expected a decimal string such as "7.5" or "5/7", got {value!r}')
    try:
        out = Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if out < 0:
        raise ValueError(f"negative value {value!r}")
    return out


Points = Annotated[Fraction, BeforeValidator(_fraction), PlainSerializer(str, return_type=str)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Band(_Data):
    """A rate band (above, upto]: the first band of an item also takes the value `above` itself."""

    above: Points
    upto: Points

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not self.above < self.upto <= 1:
            raise ValueError(f"band ({self.above}, {self.upto}] must satisfy above < upto <= 1")
        return self


class Option(_Data):
    id: str
    text_zh: str
    points: Points
    band: Band | None = None
    confirmed: bool = True


class Dimension(_Data):
    id: str
    name_zh: str
    name_en: str
    points: Points
    confirmed: bool
    source: str


class Item(_Data):
    """One scored item: single (one option) or multi (any subset of options; none ticked = 无)."""

    id: str
    dimension: str
    sub_item_zh: str
    name_zh: str
    kind: Literal["single", "multi"]
    points: Points
    confirmed: bool
    source: str
    options: tuple[Option, ...]
    note_zh: str = ""

    def option(self, option_id: str) -> Option | None:
        """The option with this id, or None."""
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    @model_validator(mode="after")
    def _points_add_up(self) -> Item:
        ids = [o.id for o in self.options]
        if not ids or len(set(ids)) != len(ids):
            raise ValueError(f"item {self.id}: options missing or duplicated")
        if self.kind == "multi":
            total = sum((o.points for o in self.options), Fraction(0))
            if total != self.points:
                raise ValueError(f"item {self.id}: multi options add up to {total}, not {self.points}")
        elif max(o.points for o in self.options) != self.points:
            raise ValueError(f"item {self.id}: the best option is not worth the item's {self.points} points")
        bands = [o.band for o in self.options if o.band is not None]
        if bands:
            if len(bands) != len(self.options):
                raise ValueError(f"item {self.id}: either every option has a band or none")
            if bands[0].above != 0 or bands[-1].upto != 1:
                raise ValueError(f"item {self.id}: bands must cover 0 to 1")
            for low, high in pairwise(bands):
                if low.upto != high.above:
                    raise ValueError(f"item {self.id}: bands leave a gap or overlap at {low.upto}")
        return self


class GradeText(_Data):
    grade: int
    text_zh: str


class Scenario(_Data):
    """One 数字化经营 scenario, graded 一级–四级; `constraint` is the ★ (约束性) flag."""

    id: str
    group_zh: str
    name_zh: str
    constraint: bool
    confirmed: bool
    source: str
    grades: tuple[GradeText, ...]
    note_zh: str = ""

    @model_validator(mode="after")
    def _four_grades(self) -> Scenario:
        if tuple(g.grade for g in self.grades) != (1, 2, 3, 4):
            raise ValueError(f"scenario {self.id}: grades must be 1, 2, 3, 4 in order")
        return self


class GradeName(_Data):
    grade: int
    name_zh: str
    pattern_zh: str = ""


class Constraints(_Data):
    confirmed: bool
    source: str
    note_zh: str


class LevelCut(_Data):
    level: int
    name_zh: str
    min_score: Points
    min_scenarios: int
    min_constraint: int


class LevelRule(_Data):
    confirmed: bool
    source: str
    note_zh: str
    no_level_zh: str
    levels: tuple[LevelCut, ...]

    def name_zh(self, level: int) -> str:
        """A level's name: 无等级 for 0, else the cut's (一级 … 四级)."""
        return self.levels[level - 1].name_zh if level else self.no_level_zh

    def names_zh(self) -> list[str]:
        """Every level's name, 0 (无等级) to 4."""
        return [self.no_level_zh, *(cut.name_zh for cut in self.levels)]

    @model_validator(mode="after")
    def _monotone(self) -> LevelRule:
        if tuple(c.level for c in self.levels) != (1, 2, 3, 4):
            raise ValueError("level rule: levels must be 1, 2, 3, 4 in order")
        for low, high in pairwise(self.levels):
            if not (
                low.min_score < high.min_score
                and low.min_scenarios <= high.min_scenarios
                and low.min_constraint <= high.min_constraint
            ):
                raise ValueError(
                    f"level rule: level {high.level} must ask at least what level {low.level} asks"
                )
        for cut in self.levels:
            if not 0 <= cut.min_constraint <= cut.min_scenarios:
                raise ValueError(f"level rule: level {cut.level} asks more ★ scenarios than scenarios")
        return self


class SmeIndex(_Data):
    """The whole versioned index: dimensions, items, scenarios, grade names and the level rule."""

    version: str
    title_zh: str
    title_en: str
    source: str
    notice_zh: str
    dimensions: tuple[Dimension, ...]
    items: tuple[Item, ...]
    grades: tuple[GradeName, ...]
    constraints: Constraints
    scenarios: tuple[Scenario, ...]
    level_rule: LevelRule

    @property
    def citation_zh(self) -> str:
        """The document the index is cited from, as a Chinese page shows it: `source` up to its first "; "
        (what follows is the project's note on how the data was compiled, for maintainers)."""
        return self.source.split("; ", 1)[0]

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return next((i for i in self.items if i.id == item_id), None)

    def scenario(self, scenario_id: str) -> Scenario | None:
        """The scenario with this id, or None."""
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def grade_name(self, grade: int) -> str:
        """一级 … 四级 (0: 未达一级)."""
        return next(g.name_zh for g in self.grades if g.grade == grade)

    @property
    def max_score(self) -> Fraction:
        return sum((d.points for d in self.dimensions), Fraction(0))

    @model_validator(mode="after")
    def _consistent(self) -> SmeIndex:
        for what, ids in (
            ("dimension", [d.id for d in self.dimensions]),
            ("item", [i.id for i in self.items]),
            ("scenario", [s.id for s in self.scenarios]),
        ):
            dup = sorted({x for x in ids if ids.count(x) > 1})
            if dup:
                raise ValueError(f"duplicate {what} id(s): {', '.join(dup)}")
        for dim in self.dimensions:
            total = sum((i.points for i in self.items if i.dimension == dim.id), Fraction(0))
            if total != dim.points:
                raise ValueError(f"dimension {dim.id}: items add up to {total}, not {dim.points}")
        known = {d.id for d in self.dimensions}
        stray = [i.id for i in self.items if i.dimension not in known]
        if stray:
            raise ValueError(f"items of an unknown dimension: {', '.join(stray)}")
        if tuple(g.grade for g in self.grades) != GRADES:
            raise ValueError("grades must be 0, 1, 2, 3, 4 in order")
        top = self.level_rule.levels[-1]
        stars = sum(1 for s in self.scenarios if s.constraint)
        if top.min_scenarios > len(self.scenarios) or top.min_constraint > stars:
            raise ValueError("level rule asks for more scenarios than the index has")
        if top.min_score > self.max_score:
            raise ValueError("level rule asks for more points than the index has")
        return self


def parse_index(raw: Any) -> SmeIndex:
    """Validate one version of the index (packaged, or a bureau's corrected import); raises ValueError."""
    return SmeIndex.model_validate(raw)


@cache
def load_index() -> SmeIndex:
    """Load (once) the packaged index."""
    text = resources.files("scoring.sme.data").joinpath("index.json").read_text(encoding="utf-8")
    return parse_index(json.loads(text))
