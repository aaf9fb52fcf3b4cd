"""What the bureau's flag review shows: a flag's stored evidence joined to the requirement bank, the evidence
rules and the orders it names, as plain data the page words in the reader's language (never raw dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import AnomalyFlag, DiagnosisOrder, Enterprise
from diagnose.services.supervision import supervision_records
from scoring.maturity import load_model
from scoring.maturity.evidence import EvidenceRule, load_evidence_rules
from scoring.supervision import load_rules


@dataclass(frozen=True)
class ClaimRow:
    """One self-rating the measurement contradicts, with the rule that says so."""

    requirement_id: str
    requirement_name: str
    claimed_rating: str
    indicator: str  # networking_rate | coverage
    measured: float
    needs_at_least: float
    rule_id: str
    rule_text: str  # the evidence rule's own wording (Chinese), e.g. 数据采集覆盖率≥50%为全部满足


@dataclass(frozen=True)
class SimilarOrder:
    """An order a copy flag names, with its number and enterprise when the bureau may see it."""

    order_id: int
    number: str | None
    enterprise: str | None


@dataclass(frozen=True)
class FlagView:
    """A flag ready for the review page."""

    kind: str
    evidence: dict[str, Any]
    claims: list[ClaimRow] = field(default_factory=list)
    similar: list[SimilarOrder] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)  # the evidence rules cited (claim flags)
    rule_key: str = ""  # which audit rule of rules.json raised it (visit_window_days, min_delivery_days, ...)
    thresholds: dict[str, Any] = field(default_factory=dict)
    tailored: list[tuple[str, str]] = field(default_factory=list)  # (sub-domain name, reason code)


_RULE_KEY = {
    "visit_without_telemetry": "visit_window_days",
    "short_delivery": "min_delivery_days",
    "duplicate_answers": "duplicate_answers",
    "duplicate_report": "duplicate_reports",
    "heavy_tailoring": "heavy_tailoring",
    "score_mismatch": "score_mismatch",
    "claim_contradicted": "claims",
}


@cache
def _evidence_rules() -> dict[tuple[str, str], EvidenceRule]:
    return {(r.requirement, r.indicator): r for r in load_evidence_rules()}


def _claim_rows(evidence: dict[str, Any]) -> list[ClaimRow]:
    model = load_model()
    rows = []
    for c in evidence.get("contradictions", []):
        requirement = model.requirement(str(c.get("requirement")))
        rule = _evidence_rules().get((str(c.get("requirement")), str(c.get("indicator"))))
        rows.append(
            ClaimRow(
                requirement_id=str(c.get("requirement")),
                requirement_name=requirement.statement_zh if requirement else str(c.get("requirement")),
                claimed_rating=str(c.get("claimed_rating")),
                indicator=str(c.get("indicator")),
                measured=float(c.get("measured", 0)),
                needs_at_least=float(c.get("needs_at_least", 0)),
                rule_id=rule.id if rule else "",
                rule_text=rule.reason_zh if rule else "",
            )
        )
    return rows


def _similar(session: Session, bureau_id: int, ids: list[int]) -> list[SimilarOrder]:
    """The orders a copy flag names; another bureau's order is shown by id only (its details are not ours)."""
    if not ids:
        return []
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    found = {
        o.id: (o.number, e.name)
        for o, e in session.exec(
            select(DiagnosisOrder, Enterprise)
            .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
            .where(col(DiagnosisOrder.id).in_(ids))
            .where(col(Enterprise.region_code).in_(regions))
        ).all()
    }
    return [SimilarOrder(i, *found.get(i, (None, None))) for i in ids]


def _node_name(model: Any, node_id: str) -> str:
    try:
        return str(model.node_name(node_id)[0])
    except KeyError:
        return node_id


def describe(*, session: Session, bureau_id: int, flag: AnomalyFlag) -> FlagView:
    """The review page's view of one flag (the caller has checked it lies in the bureau's regions)."""
    evidence = dict(flag.evidence or {})
    raw = load_rules()
    claims = _claim_rows(evidence) if flag.kind == "claim_contradicted" else []
    similar_ids = [int(i) for i in evidence.get("similar_orders", [])] or (
        [int(evidence["similar_order_id"])] if "similar_order_id" in evidence else []
    )
    thresholds: dict[str, Any] = {
        "visit_window_days": raw.visit_window_days,
        "duplicate_min_answered": raw.duplicate_min_answered,
        "duplicate_min_identical_share": raw.duplicate_min_identical_share,
        "duplicate_min_identical_partial": raw.duplicate_min_identical_partial,
        "report_min_jaccard": raw.report_min_jaccard,
        "heavy_tailoring_min_subdomains": raw.heavy_tailoring_min_subdomains,
    }
    model = load_model()
    tailored = [
        (_node_name(model, str(t.get("subdomain"))), str(t.get("reason")))
        for t in evidence.get("tailored", [])
    ]
    return FlagView(
        tailored=tailored,
        kind=flag.kind,
        evidence=evidence,
        claims=claims,
        similar=_similar(session, bureau_id, similar_ids),
        rule_ids=list(dict.fromkeys(c.rule_id for c in claims if c.rule_id)),
        rule_key=_RULE_KEY.get(flag.kind, ""),
        thresholds=thresholds,
    )
