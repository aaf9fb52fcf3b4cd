"""Pure scoring: ratings → sub-domain, domain, element and level scores → S and maturity level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
