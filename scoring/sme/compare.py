"""Pure helpers over SME results: the before/after comparison of one enterprise's two evaluations, and the
distribution of levels over many (a bureau's region, the pilot enterprises reaching 二级)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from scoring.sme.engine import SmeResult, fmt

TARGET_LEVEL = (
    2  # pilot-city plans count enterprises at 二级 or above (data sheet: one city's target of 90 %)
)


@dataclass(frozen=True, slots=True)
class ScenarioChange:
    id: str
    name_zh: str
    constraint: bool
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """An enterprise's evaluation before and after the transformation."""

    same_index: bool  # both scored on the same index version
    level_before: int
    level_after: int
    total_before: Fraction
    total_after: Fraction
    dimensions: tuple[tuple[str, str, Fraction, Fraction], ...]  # (id, name_zh, before, after)
    raised: tuple[ScenarioChange, ...]
    lowered: tuple[ScenarioChange, ...]
    summary_zh: str


def compare(before: SmeResult, after: SmeResult) -> Comparison:
    """What changed between two results of the same enterprise (the earlier first)."""
    old = {s.id: s for s in before.scenarios}
    changes = [
        ScenarioChange(s.id, s.name_zh, s.constraint, old[s.id].grade, s.grade)
        for s in after.scenarios
        if s.id in old and old[s.id].grade != s.grade
    ]
    raised = tuple(c for c in changes if c.after > c.before)
    lowered = tuple(c for c in changes if c.after < c.before)
    old_dims = {d.id: d.points for d in before.dimensions}
    dimensions = tuple((d.id, d.name_zh, old_dims.get(d.id, Fraction(0)), d.points) for d in after.dimensions)
    # Each result names its level in the words of the index version that scored it (a corrected index may
    # have been published between the two).
    if after.level > before.level:
        head = f"数字化水平由{before.level_zh}提升至{after.level_zh}"
    elif after.level < before.level:
        head = f"数字化水平由{before.level_zh}降至{after.level_zh}"
    else:
        head = f"数字化水平保持{after.level_zh}"
    delta = after.total - before.total
    sign = "+" if delta > 0 else ""
    parts = [head, f"总分由 {fmt(before.total)} 分变为 {fmt(after.total)} 分（{sign}{fmt(delta)}）"]
    if raised:
        stars = sum(1 for c in raised if c.constraint)
        parts.append(f"{len(raised)} 个场景等级提高（其中约束性场景 {stars} 个）")
    if lowered:
        parts.append(f"{len(lowered)} 个场景等级降低")
    summary = "，".join(parts) + "。"
    if before.index_version != after.index_version:
        summary += f"（两次评测所用指标版本不同：{before.index_version}、{after.index_version}）"
    return Comparison(
        same_index=before.index_version == after.index_version,
        level_before=before.level,
        level_after=after.level,
        total_before=before.total,
        total_after=after.total,
        dimensions=dimensions,
        raised=raised,
        lowered=lowered,
        summary_zh=summary,
    )


@dataclass(frozen=True, slots=True)
class LevelDistribution:
    """How many evaluations are at each level (0 = 无等级)."""

    counts: tuple[int, int, int, int, int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def at_least(self, level: int) -> int:
        """Evaluations at this level or above."""
        return sum(self.counts[level:])

    def share_at_least(self, level: int) -> Fraction | None:
        """Their share, or None with no evaluation."""
        return Fraction(self.at_least(level), self.total) if self.total else None


def level_distribution(levels: Iterable[int]) -> LevelDistribution:
    """Count levels 0–4 (each enterprise once: pass its latest evaluation's level)."""
    counts = [0, 0, 0, 0, 0]
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
            raise ValueError(f"a level is an integer 0–4 (0 = 无等级), got {level!r}")
        counts[level] += 1
    return LevelDistribution((counts[0], counts[1], counts[2], counts[3], counts[4]))
