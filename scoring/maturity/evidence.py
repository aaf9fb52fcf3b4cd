"""Measured evidence from the collectors proposes ratings; reconciling them with the assessor's claims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from scoring.maturity.assessment import Assessment, rating_text
from scoring.maturity.model import MaturityModel, read_json

# A claim above the measured proposal is a contradiction; the data never lowers a claim by itself.
_SHORT_WINDOW_CAP = Fraction(1, 2)


@dataclass(frozen=True)
class MeasuredEvidence:
    """Indicators measured over a window (all optional; rates and OEE as fractions 0..1)."""

    devices_total: int | None = None
    devices_networked: int | None = None
    networking_rate: float | None = None
    coverage: float | None = None
    oee: float | None = None
    availability: float | None = None
    performance: float | None = None
    quality: float | None = None
    energy_per_unit_kwh: float | None = None
    has_energy_metering: bool | None = None
    window_days: int | None = None

    def indicator(self, name: str) -> float | bool | None:
        """Value of one indicator; networking_rate falls back to devices_networked / devices_total."""
        if name == "networking_rate" and self.networking_rate is None:
            if self.devices_total and self.devices_networked is not None:
                return self.devices_networked / self.devices_total
            return None
        value: float | bool | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class EvidenceRule:
    """Which requirement an indicator bears on, and how its value maps to a proposed rating."""

    id: str
    indicator: str
    requirement: str
    kind: str  # at_least | present | flag
    bands: tuple[tuple[Fraction, Fraction], ...]
    present_rating: Fraction
    min_window_days: int
    reason_zh: str
    reason_en: str
    source: str


@dataclass(frozen=True)
class Proposal:
    """A rating proposed by measured data, with the number that led to it."""

    requirement_id: str
    rule_id: str
    indicator: str
    measured: float | bool
    proposed: Fraction
    message: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "requirement_id": self.requirement_id,
            "rule_id": self.rule_id,
            "indicator": self.indicator,
            "measured": self.measured,
            "proposed": float(self.proposed),
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True)
class Reconciled:
    """Assessor's claim beside the measured proposal; `final` is what scoring uses."""

    requirement_id: str
    claimed: Fraction | None
    tailored: bool
    proposed: Fraction
    final: Fraction | None
    contradiction: bool
    message: str
    proposals: tuple[Proposal, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "requirement_id": self.requirement_id,
            "claimed": None if self.claimed is None else float(self.claimed),
            "tailored": self.tailored,
            "proposed": float(self.proposed),
            "final": None if self.final is None else float(self.final),
            "contradiction": self.contradiction,
            "message": self.message,
            "proposals": [p.to_dict() for p in self.proposals],
        }


@cache
def load_evidence_rules() -> tuple[EvidenceRule, ...]:
    """The packaged indicator → requirement rules (data/evidence_rules.json)."""
    return tuple(
        EvidenceRule(
            id=x["id"],
            indicator=x["indicator"],
            requirement=x["requirement"],
            kind=x["kind"],
            bands=tuple((Fraction(lo), Fraction(r)) for lo, r in x.get("bands", [])),
            present_rating=Fraction(x.get("present_rating", "1")),
            min_window_days=int(x["min_window_days"]),
            reason_zh=x["reason_zh"],
            reason_en=x["reason_en"],
            source=x["source"],
        )
        for x in read_json("evidence_rules.json")["rules"]
    )


def _shown(indicator: str, value: float | bool, evidence: MeasuredEvidence) -> str:
    """The measured number as an assessor reads it."""
    if isinstance(value, bool):
        return f"{indicator} = {'yes' if value else 'no'}"
    if indicator == "energy_per_unit_kwh":
        return f"{indicator} = {value:.3f} kWh"
    text = f"{indicator} = {value:.1%}"
    if indicator == "networking_rate" and evidence.devices_total:
        text += f" ({evidence.devices_networked}/{evidence.devices_total} devices)"
    return text


def _apply(rule: EvidenceRule, value: float | bool) -> Fraction:
    """Proposed rating of one rule for a measured value."""
    if rule.kind == "flag":
        return Fraction(1) if value else Fraction(0)
    if rule.kind == "present":
        return rule.present_rating
    exact = Fraction(str(value))
    return next((rating for low, rating in rule.bands if exact >= low), Fraction(0))


def propose_ratings(
    evidence: MeasuredEvidence, model: MaturityModel, rules: Sequence[EvidenceRule] | None = None
) -> tuple[Proposal, ...]:
    """Proposed ratings for the requirements the measured indicators bear on (numbers shown)."""
    proposals = []
    for rule in rules if rules is not None else load_evidence_rules():
        if model.requirement(rule.requirement) is None:
            raise ValueError(f"evidence rule {rule.id} names unknown requirement {rule.requirement}")
        value = evidence.indicator(rule.indicator)
        if value is None:
            continue
        proposed = _apply(rule, value)
        message = f"{_shown(rule.indicator, value, evidence)} → {rating_text(proposed)}: {rule.reason_en}"
        window = evidence.window_days
        if rule.min_window_days and (window is None or window < rule.min_window_days):
            # Too short a window cannot prove a sustained practice: cap the proposal at 部分.
            proposed = min(proposed, _SHORT_WINDOW_CAP)
            message += f" (window {window} d < {rule.min_window_days} d required: capped at 0.5)"
        proposals.append(
            Proposal(rule.requirement, rule.id, rule.indicator, value, proposed, message, rule.source)
        )
    return tuple(proposals)


def reconcile(answers: Assessment, proposals: Sequence[Proposal]) -> tuple[Reconciled, ...]:
    """Set each claim beside the data: final = the assessor's rating if given, else the proposal."""
    grouped: dict[str, list[Proposal]] = {}
    for p in proposals:
        grouped.setdefault(p.requirement_id, []).append(p)
    result = []
    for rid in sorted(grouped):
        group = tuple(grouped[rid])
        proposed = min(p.proposed for p in group)  # the most conservative reading of the data
        answer = answers.answer(rid)
        tailored = answer is not None and answer.tailored
        claimed = None if answer is None else answer.rating
        contradiction = claimed is not None and claimed > proposed
        numbers = "; ".join(p.message for p in group)
        if tailored:
            final, message = None, f"tailored out by the assessor; data: {numbers}"
        elif claimed is None:
            final, message = proposed, f"not answered: data proposes {rating_text(proposed)}; {numbers}"
        elif contradiction:
            final = claimed
            message = (
                f"CONTRADICTION: claimed {rating_text(claimed)} but data supports {rating_text(proposed)}; "
                f"{numbers}"
            )
        elif claimed < proposed:
            final = claimed
            message = (
                f"claimed {rating_text(claimed)} is below what data supports ({rating_text(proposed)}); "
                f"the assessor's rating is kept; {numbers}"
            )
        else:
            final, message = claimed, f"claimed {rating_text(claimed)} agrees with data; {numbers}"
        result.append(Reconciled(rid, claimed, tailored, proposed, final, contradiction, message, group))
    return tuple(result)


def apply_reconciled(assessment: Assessment, reconciled: Sequence[Reconciled]) -> Assessment:
    """The assessment with each reconciled requirement set to its final rating."""
    return assessment.with_ratings({r.requirement_id: r.final for r in reconciled if not r.tailored})
