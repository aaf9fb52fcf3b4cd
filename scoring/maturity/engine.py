"""Pure scoring: ratings → sub-domain, domain, element and level scores → S and maturity level."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scoring.maturity.assessment import Assessment, apply_tailoring, input_hash
from scoring.maturity.model import LEVELS, MaturityModel, Weights
from scoring.maturity.rule import RULE_VERSION, total_score
from scoring.maturity.tailoring import Tailoring, load_tailoring_rules

_ZERO = Fraction(0)
# Ratings are multiples of 1/10, so sums run on integers and become one Fraction per sub-domain.
_TENTHS: dict[Fraction | None, int | None] = {
    Fraction(1): 10,
    Fraction(4, 5): 8,
    Fraction(1, 2): 5,
    Fraction(0): 0,
    None: None,
}


def _out(value: Fraction | None) -> float | None:
    """Output form of a score: float rounded to 4 decimals."""
    return None if value is None else round(float(value), 4)


@dataclass(frozen=True)
class NodeScore:
    """Scores of one element, domain or sub-domain at levels 1..5 (None = not applicable)."""

    id: str
    kind: str
    name_zh: str
    name_en: str
    by_level: tuple[Fraction | None, ...]

    @property
    def overall(self) -> Fraction | None:
        """Mean of the applicable level scores (used for peer comparison)."""
        values = [v for v in self.by_level if v is not None]
        return sum(values, _ZERO) / len(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "by_level": {str(lv): _out(v) for lv, v in zip(LEVELS, self.by_level, strict=True)},
            "overall": _out(self.overall),
        }


@dataclass(frozen=True)
class ScoreResult:
    """Full result of scoring one assessment, with the versions used and the input hash."""

    industry_type: str
    level: int
    score: Fraction
    level_scores: tuple[Fraction, ...]
    levels_applicable: tuple[bool, ...]
    elements: tuple[NodeScore, ...]
    domains: tuple[NodeScore, ...]
    subdomains: tuple[NodeScore, ...]
    rated: int
    unanswered: int
    tailored: tuple[tuple[str, str], ...]
    excluded_by_industry: tuple[str, ...]
    model_version: str
    requirements_version: str
    table_version: str
    rule_version: str
    weights_note: str
    input_hash: str
    tailoring: tuple[Tailoring, ...] = ()
    ignored_na: tuple[str, ...] = ()
    tailoring_version: str = ""

    def subdomain(self, subdomain_id: str) -> NodeScore:
        """Scores of one sub-domain."""
        return next(n for n in self.subdomains if n.id == subdomain_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (scores rounded to 4 decimals), as printed by `diagnose score`."""
        return {
            "industry_type": self.industry_type,
            "level": self.level,
            "score": round(float(self.score), 4),
            "level_scores": [round(float(x), 4) for x in self.level_scores],
            "levels_applicable": list(self.levels_applicable),
            "elements": [n.to_dict() for n in self.elements],
            "domains": [n.to_dict() for n in self.domains],
            "subdomains": [n.to_dict() for n in self.subdomains],
            "counts": {
                "rated": self.rated,
                "unanswered_counted_as_zero": self.unanswered,
                "tailored": len(self.tailored),
                "excluded_by_industry": len(self.excluded_by_industry),
            },
            "tailored": [{"id": rid, "reason": reason} for rid, reason in self.tailored],
            "tailoring": [t.to_dict() for t in self.tailoring],
            "tailoring_version": self.tailoring_version,
            "ignored_na": list(self.ignored_na),
            "levels_not_awarded": [
                lv for lv, ok in zip(LEVELS, self.levels_applicable, strict=True) if not ok
            ],
            "assessment_kind": "self_assessment",
            "excluded_by_industry": list(self.excluded_by_industry),
            "versions": {
                "model": self.model_version,
                "requirements": self.requirements_version,
                "weights_and_thresholds": self.table_version,
                "rule": self.rule_version,
            },
            "weights": self.weights_note,
            "input_hash": self.input_hash,
        }


def _mean(parent: str, children: Sequence[tuple[str, Fraction]], weights: Weights) -> Fraction:
    """Weighted mean among applicable children (equal weights unless the table overrides)."""
    if not weights.overrides:
        return sum((s for _, s in children), _ZERO) / len(children)
    pairs = [(weights.weight(parent, cid), s) for cid, s in children]
    return sum((w * s for w, s in pairs), _ZERO) / sum((w for w, _ in pairs), _ZERO)


def rollup(
    ratings: Mapping[str, Fraction | None],
    model: MaturityModel,
    industry_type: str,
    nodes: dict[str, list[Fraction | None]] | None = None,
) -> tuple[Fraction | None, ...]:
    """Level scores L1..L5 (None where nothing is applicable); missing ratings count as 0.

    When `nodes` is given, it is filled with every node's score per level (index = level - 1).
    """
    weights = model.weights
    result: list[Fraction | None] = []
    for level, elements in model.index(industry_type).tree:
        element_scores = []
        for eid, domains in elements:
            domain_scores = []
            for did, subs in domains:
                sub_scores = []
                for sid, rids in subs:
                    total = count = 0
                    for rid in rids:
                        tenths = _TENTHS[ratings.get(rid, _ZERO)]
                        if tenths is not None:  # None = tailored out: excluded, never zero
                            total += tenths
                            count += 1
                    if count:
                        sub = Fraction(total, 10 * count)
                        sub_scores.append((sid, sub))
                        if nodes is not None:
                            nodes.setdefault(sid, [None] * 5)[level - 1] = sub
                if sub_scores:
                    dom = _mean(did, sub_scores, weights)
                    domain_scores.append((did, dom))
                    if nodes is not None:
                        nodes.setdefault(did, [None] * 5)[level - 1] = dom
            if domain_scores:
                elem = _mean(eid, domain_scores, weights)
                element_scores.append((eid, elem))
                if nodes is not None:
                    nodes.setdefault(eid, [None] * 5)[level - 1] = elem
        result.append(_mean("level", element_scores, weights) if element_scores else None)
    return tuple(result)


class MetRollup:
    """`rollup` of a fixed set of ratings with some requirements raised to 1, for planners that try many.

    The same arithmetic as `rollup` (sub-domain = exact mean of its tenths, weighted means above), but a
    variant only re-adds the integer tenths of the sub-domains it touches, and a level's exact Fractions are
    computed once per distinct set of sub-domain totals of that level. Tailored requirements stay excluded.
    """

    def __init__(
        self, ratings: Mapping[str, Fraction | None], model: MaturityModel, industry_type: str
    ) -> None:
        self._weights = model.weights
        # Per level: (element id, ((domain id, ((sub-domain id, cell index), ...)), ...)) and the base totals.
        self._levels: list[tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, int], ...]], ...]], ...]] = []
        self._base: list[list[int]] = []
        self._counts: list[list[int]] = []
        self._cell_of: dict[str, tuple[int, int, int]] = {}  # rid → (level index, cell, tenths now)
        for li, (_level, elements) in enumerate(model.index(industry_type).tree):
            totals: list[int] = []
            counts: list[int] = []
            shaped = []
            for eid, domains in elements:
                shaped_domains = []
                for did, subs in domains:
                    cells = []
                    for sid, rids in subs:
                        cell = len(totals)
                        total = count = 0
                        for rid in rids:
                            tenths = _TENTHS[ratings.get(rid, _ZERO)]
                            if tenths is not None:
                                total += tenths
                                count += 1
                                self._cell_of[rid] = (li, cell, tenths)
                        totals.append(total)
                        counts.append(count)
                        cells.append((sid, cell))
                    shaped_domains.append((did, tuple(cells)))
                shaped.append((eid, tuple(shaped_domains)))
            self._levels.append(tuple(shaped))
            self._base.append(totals)
            self._counts.append(counts)
        self._memo: dict[tuple[int, tuple[int, ...]], Fraction | None] = {}

    def levels(self, met: Iterable[str]) -> tuple[Fraction | None, ...]:
        """Level scores L1..L5 with every requirement of `met` rated 1 (tailored ones stay excluded)."""
        raised: dict[int, dict[int, int]] = {}
        for rid in set(met):
            where = self._cell_of.get(rid)
            if where is not None:
                li, cell, tenths = where
                if tenths != 10:
                    by_cell = raised.setdefault(li, {})
                    by_cell[cell] = by_cell.get(cell, 0) + 10 - tenths
        out: list[Fraction | None] = []
        for li, base in enumerate(self._base):
            delta = raised.get(li)
            totals = tuple(base) if not delta else tuple(t + delta.get(c, 0) for c, t in enumerate(base))
            key = (li, totals)
            if key not in self._memo:
                self._memo[key] = self._level_score(li, totals)
            out.append(self._memo[key])
        return tuple(out)

    def _level_score(self, li: int, totals: tuple[int, ...]) -> Fraction | None:
        counts = self._counts[li]
        element_scores = []
        for eid, domains in self._levels[li]:
            domain_scores = []
            for did, cells in domains:
                sub_scores = [(sid, Fraction(totals[c], 10 * counts[c])) for sid, c in cells if counts[c]]
                if sub_scores:
                    domain_scores.append((did, _mean(did, sub_scores, self._weights)))
            if domain_scores:
                element_scores.append((eid, _mean(eid, domain_scores, self._weights)))
        return _mean("level", element_scores, self._weights) if element_scores else None


def ratings_of(assessment: Assessment) -> dict[str, Fraction | None]:
    """Requirement id → rating (None = tailored) of an assessment."""
    return {a.requirement_id: a.rating for a in assessment.answers}


def quick_total(ratings: Mapping[str, Fraction | None], model: MaturityModel, industry_type: str) -> Fraction:
    """S only, for planners that re-score many variants."""
    levels = rollup(ratings, model, industry_type)
    return total_score([x if x is not None else _ZERO for x in levels], model.thresholds).score


def score(assessment: Assessment, model: MaturityModel) -> ScoreResult:
    """Score an assessment against the model (pure; same inputs give the same result and hash).

    Tailoring is applied per sub-domain first; a level with nothing left to rate scores 0 and is not
    awarded (S stops below it).
    """
    assessment = apply_tailoring(assessment, model)
    industry = assessment.industry_type
    ratings = ratings_of(assessment)
    nodes: dict[str, list[Fraction | None]] = {}
    levels = rollup(ratings, model, industry, nodes)
    level_scores = tuple(x if x is not None else _ZERO for x in levels)
    total = total_score(level_scores, model.thresholds)

    def node_scores(kind: str, ids: Sequence[tuple[str, str, str]]) -> tuple[NodeScore, ...]:
        return tuple(
            NodeScore(nid, kind, zh, en, tuple(nodes.get(nid, [None] * 5)))
            for nid, zh, en in ids
            if nid in nodes
        )

    applicable = {r.id for r in model.requirements if r.applies_to(industry)}
    tailored = tuple((a.requirement_id, a.reason) for a in assessment.answers if a.tailored)
    return ScoreResult(
        industry_type=industry,
        level=total.level,
        score=total.score,
        level_scores=level_scores,
        levels_applicable=tuple(x is not None for x in levels),
        elements=node_scores("element", [(n.id, n.name_zh, n.name_en) for n in model.elements]),
        domains=node_scores("domain", [(n.id, n.name_zh, n.name_en) for n in model.domains]),
        subdomains=node_scores("subdomain", [(n.id, n.name_zh, n.name_en) for n in model.subdomains]),
        rated=sum(1 for rid in applicable if ratings.get(rid, _ZERO) is not None and rid in ratings),
        unanswered=sum(1 for rid in applicable if rid not in ratings),
        tailored=tuple(t for t in tailored if t[0] in applicable),
        excluded_by_industry=tuple(
            sorted(a.requirement_id for a in assessment.answers if a.requirement_id not in applicable)
        ),
        model_version=model.version,
        requirements_version=model.requirements_version,
        table_version=model.table_version,
        rule_version=RULE_VERSION,
        weights_note=model.weights.note_en,
        input_hash=input_hash(assessment, model),
        tailoring=assessment.tailoring,
        ignored_na=assessment.ignored_na,
        tailoring_version=load_tailoring_rules().version,
    )
