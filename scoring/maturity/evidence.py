"""Measured evidence from the collectors proposes ratings; reconciling them with the assessor's claims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

from scoring.indicators.figures import (
    BASIS_ZH,
    INSUFFICIENT,
    NAME_ZH,
    OUT_OF_BOUNDS,
    REASON_ZH,
    UNAVAILABLE,
    Figure,
    flags_text,
    hours_text,
)
from scoring.indicators.figures import insufficient_text as insufficient_text
from scoring.maturity.assessment import Assessment, rating_text
from scoring.maturity.model import MaturityModel, read_json

# The rating scale in steps (不满足 < 部分 < 大部分 < 全部): a claim and the data contradict each other
# when they lie more than one step apart; the data never changes a claim by itself.
RATING_STEPS: tuple[Fraction, ...] = (Fraction(0), Fraction(1, 2), Fraction(4, 5), Fraction(1))


def rating_step(rating: Fraction) -> int:
    """Position of a rating on the scale (a rating between two steps counts as the lower one)."""
    return max(i for i, step in enumerate(RATING_STEPS) if rating >= step)


@dataclass(frozen=True)
class MeasuredEvidence:
    """Indicators measured over a window (all optional; rates and OEE as fractions 0..1).

    Built from an evidence snapshot (`from_figures`), it carries the snapshot's plant figures: each rule is
    then judged on its figure's own status and data (a figure that is 数据不足 on the page proposes nothing).
    """

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
    observed_hours: float | None = None  # longest a device was observed in the window (default: window)
    planned_hours: float | None = None  # planned production time behind the OEE figures
    flags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # indicator → why implausible
    utilisation: float | None = None
    figures: Mapping[str, Figure] = field(default_factory=dict)  # the snapshot's plant figures, by indicator

    def hours(self, basis: str) -> float:
        """Hours of data behind the figures: observed time, or planned production time ("planned")."""
        if basis in ("planned", "known_planned"):
            return self.planned_hours or 0.0
        if self.observed_hours is not None:
            return self.observed_hours
        return 24.0 * (self.window_days or 0)

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
    min_hours: float
    min_basis: str  # observed | known | known_planned (legacy: planned)
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
            min_hours=float(x["min_hours"]),
            min_basis=x.get("min_basis", "observed"),
            reason_zh=x["reason_zh"],
            reason_en=x["reason_en"],
            source=x["source"],
        )
        for x in read_json("evidence_rules.json")["rules"]
    )


def from_figures(
    figures: Mapping[str, Figure],
    *,
    devices_total: int | None,
    devices_networked: int | None,
    has_energy_metering: bool | None,
    window_days: int,
) -> MeasuredEvidence:
    """The scoring's measured evidence from an evidence snapshot's plant figures: a figure's value only when
    it is ok (or out of bounds, with its flags, which propose nothing)."""

    def value(name: str) -> float | None:
        figure = figures.get(name)
        if figure is None or figure.value is None or figure.status not in ("ok", OUT_OF_BOUNDS):
            return None
        return float(figure.value)

    hours = [f.have_hours for f in figures.values()]
    return MeasuredEvidence(
        devices_total=devices_total,
        devices_networked=devices_networked,
        networking_rate=value("networking_rate"),
        coverage=value("coverage"),
        oee=value("oee"),
        availability=value("availability"),
        performance=value("performance"),
        quality=value("quality"),
        utilisation=value("utilisation"),
        energy_per_unit_kwh=value("energy_per_unit_kwh"),
        has_energy_metering=has_energy_metering,
        window_days=window_days,
        observed_hours=max(hours, default=0.0),
        planned_hours=figures["oee"].have_hours if "oee" in figures else None,
        flags={k: f.flags for k, f in figures.items() if f.status == OUT_OF_BOUNDS},
        figures=dict(figures),
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


@dataclass(frozen=True)
class Shortfall:
    """A rule that proposes nothing: too little data, or the figure was flagged as implausible."""

    requirement_id: str
    rule_id: str
    indicator: str
    reason: str  # insufficient | flagged
    have_hours: float
    need_hours: float
    flags: tuple[str, ...]
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "requirement_id": self.requirement_id,
            "rule_id": self.rule_id,
            "indicator": self.indicator,
            "reason": self.reason,
            "have_hours": self.have_hours,
            "need_hours": self.need_hours,
            "flags": list(self.flags),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def _assess_figure(rule: EvidenceRule, figure: Figure) -> Shortfall | None:
    """Why a rule may not propose a rating from a snapshot figure: the figure's own status, or the rule asking
    for more data than the figure's card (never less); None when it may."""
    have, basis_zh = figure.have_hours, BASIS_ZH.get(figure.basis, figure.basis)
    need = max(rule.min_hours, figure.need_hours)

    def shortfall(reason: str, zh: str, en: str, flags: tuple[str, ...] = ()) -> Shortfall:
        return Shortfall(rule.requirement, rule.id, rule.indicator, reason, have, need, flags, zh, en)

    if figure.status == OUT_OF_BOUNDS:
        return shortfall(
            "flagged",
            f"数据异常，不据此评分：{flags_text(figure.flags)}",
            f"{rule.indicator} flagged as implausible ({', '.join(figure.flags)}): no rating proposed",
            figure.flags,
        )
    if figure.status == INSUFFICIENT:
        return shortfall(
            "insufficient",
            f"{insufficient_text(have, need)}（{basis_zh}）",
            f"insufficient data: {have:.1f} h of {figure.basis} time collected, {need:.1f} h needed",
        )
    if figure.status == UNAVAILABLE:
        what = REASON_ZH.get(figure.reason, figure.reason)
        return shortfall("missing", f"无实测数据：{what}", f"no measured {rule.indicator} ({figure.reason})")
    if have < rule.min_hours:
        return shortfall(
            "rule_minimum",
            f"此项评定需 {hours_text(rule.min_hours)} 小时数据（{basis_zh}），已有 {hours_text(have)} 小时：未据此建议评分",
            f"this rating needs {rule.min_hours:.1f} h of {figure.basis} time, {have:.1f} h collected: no rating proposed",
        )
    return None


def _assess(rule: EvidenceRule, evidence: MeasuredEvidence) -> Shortfall | None:
    """Why a rule whose indicator has a value may not propose a rating; None when it may."""
    figure = evidence.figures.get(rule.indicator)
    if figure is not None:
        return _assess_figure(rule, figure)
    flags = tuple(evidence.flags.get(rule.indicator, ()))
    have = evidence.hours(rule.min_basis)
    basis_zh = BASIS_ZH.get(rule.min_basis, "计划生产时间" if rule.min_basis == "planned" else "实测时间")
    if flags:
        return Shortfall(
            rule.requirement,
            rule.id,
            rule.indicator,
            "flagged",
            have,
            rule.min_hours,
            flags,
            f"数据异常，不据此评分：{NAME_ZH.get(rule.indicator, rule.indicator)}（{'、'.join(flags)}）",
            f"{rule.indicator} flagged as implausible ({', '.join(flags)}): no rating proposed",
        )
    if have < rule.min_hours:
        return Shortfall(
            rule.requirement,
            rule.id,
            rule.indicator,
            "insufficient",
            have,
            rule.min_hours,
            (),
            f"{insufficient_text(have, rule.min_hours)}（{basis_zh}）",
            f"insufficient data: {have:.1f} h {rule.min_basis} collected, {rule.min_hours:.1f} h needed",
        )
    return None


def _missing(rule: EvidenceRule, evidence: MeasuredEvidence) -> Shortfall:
    """A rule whose indicator has no value although the plant was measured."""
    have = evidence.hours(rule.min_basis)
    if have < rule.min_hours:
        shortfall = _assess(rule, evidence)
        assert shortfall is not None
        return shortfall
    what_zh = "未录入设备台账" if rule.indicator == "networking_rate" else "无实测数据"
    return Shortfall(
        rule.requirement,
        rule.id,
        rule.indicator,
        "missing",
        have,
        rule.min_hours,
        (),
        f"{what_zh}：{NAME_ZH.get(rule.indicator, rule.indicator)}",
        f"no measured {rule.indicator}"
        + (" (no equipment ledger)" if rule.indicator == "networking_rate" else ""),
    )


def _rules(model: MaturityModel, rules: Sequence[EvidenceRule] | None) -> Sequence[EvidenceRule]:
    chosen = rules if rules is not None else load_evidence_rules()
    for rule in chosen:
        if model.requirement(rule.requirement) is None:
            raise ValueError(f"evidence rule {rule.id} names unknown requirement {rule.requirement}")
    return chosen


def shortfalls(
    evidence: MeasuredEvidence, model: MaturityModel, rules: Sequence[EvidenceRule] | None = None
) -> tuple[Shortfall, ...]:
    """Rules whose indicator was measured but which propose nothing, each with the reason in Chinese."""
    out = []
    for rule in _rules(model, rules):
        figure = evidence.figures.get(rule.indicator)
        if figure is not None:
            found = _assess_figure(rule, figure)
            if found is not None:
                out.append(found)
            continue
        if evidence.indicator(rule.indicator) is None:
            # Measured but no figure yet (a plant connected today): say how much data is still missing.
            if evidence.observed_hours is not None:
                out.append(_missing(rule, evidence))
            continue
        shortfall = _assess(rule, evidence)
        if shortfall is not None:
            out.append(shortfall)
    return tuple(out)


def propose_ratings(
    evidence: MeasuredEvidence, model: MaturityModel, rules: Sequence[EvidenceRule] | None = None
) -> tuple[Proposal, ...]:
    """Proposed ratings for the requirements the measured indicators bear on (numbers shown).

    A rule below its minimum of data, or whose figure is flagged, proposes nothing (see `shortfalls`).
    """
    proposals = []
    for rule in _rules(model, rules):
        value = evidence.indicator(rule.indicator)
        if value is None or _assess(rule, evidence) is not None:
            continue
        proposed = _apply(rule, value)
        message = f"{_shown(rule.indicator, value, evidence)} → {rating_text(proposed)}: {rule.reason_en}"
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
        contradiction = claimed is not None and abs(rating_step(claimed) - rating_step(proposed)) > 1
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
        elif claimed != proposed:
            final = claimed
            relation = "below" if claimed < proposed else "one step above"
            message = (
                f"claimed {rating_text(claimed)} is {relation} what data supports ({rating_text(proposed)}); "
                f"the assessor's rating is kept; {numbers}"
            )
        else:
            final, message = claimed, f"claimed {rating_text(claimed)} agrees with data; {numbers}"
        result.append(Reconciled(rid, claimed, tailored, proposed, final, contradiction, message, group))
    return tuple(result)


def apply_reconciled(assessment: Assessment, reconciled: Sequence[Reconciled]) -> Assessment:
    """The assessment with each reconciled requirement set to its final rating."""
    return assessment.with_ratings({r.requirement_id: r.final for r in reconciled if not r.tailored})
