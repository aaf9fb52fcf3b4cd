"""Where an enterprise's diagnosis stands among peers of its industry and region (scoring/maturity/peers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import DiagnosisOrder, Enterprise, OrderStatus, Region, Result
from scoring.maturity.engine import NodeScore, ScoreResult
from scoring.maturity.peers import MIN_PEERS, peer_benchmark

PEER_STATUSES = (OrderStatus.submitted, OrderStatus.accepted)


@dataclass(frozen=True)
class Standing:
    """The peer group and, when it is large enough, the percentile of S and the peers' median."""

    region_name: str
    industry_division: str  # GB/T 4754 大类 (first two digits)
    peers: int
    minimum: int
    percentile: float | None
    own_score: float
    peer_median: float | None


def _fraction(value: Any) -> Fraction:
    return Fraction(str(value)) if value is not None else Fraction(0)


def score_of(score: dict[str, Any]) -> ScoreResult:
    """A ScoreResult rebuilt from its stored `to_dict` form (what peer comparison reads)."""

    def nodes(rows: list[dict[str, Any]], kind: str) -> tuple[NodeScore, ...]:
        return tuple(
            NodeScore(
                r["id"],
                kind,
                r.get("name_zh", ""),
                r.get("name_en", ""),
                tuple(None if v is None else _fraction(v) for v in r["by_level"].values()),
            )
            for r in rows
        )

    versions = score.get("versions", {})
    counts = score.get("counts", {})
    return ScoreResult(
        industry_type=score.get("industry_type", ""),
        level=int(score["level"]),
        score=_fraction(score["score"]),
        level_scores=tuple(_fraction(x) for x in score.get("level_scores", [])),
        levels_applicable=tuple(score.get("levels_applicable", [])),
        elements=nodes(score.get("elements", []), "element"),
        domains=nodes(score.get("domains", []), "domain"),
        subdomains=nodes(score.get("subdomains", []), "subdomain"),
        rated=int(counts.get("rated", 0)),
        unanswered=int(counts.get("unanswered_counted_as_zero", 0)),
        tailored=(),
        excluded_by_industry=(),
        model_version=str(versions.get("model", "")),
        requirements_version=str(versions.get("requirements", "")),
        table_version=str(versions.get("weights_and_thresholds", "")),
        rule_version=str(versions.get("rule", "")),
        weights_note=str(score.get("weights", "")),
        input_hash=str(score.get("input_hash", "")),
    )


def standing(*, session: Session, order: DiagnosisOrder, result: Result) -> Standing:
    """Peers: the newest submitted or accepted result of every other enterprise in the same region and
    GB/T 4754 division; percentiles only with at least MIN_PEERS of them (else None figures)."""
    enterprise = session.get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    division = enterprise.industry_code.strip()[:2]
    region = session.get(Region, enterprise.region_code)
    rows = session.exec(
        select(Result, DiagnosisOrder, Enterprise)
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == col(Result.order_id))
        .join(Enterprise, col(Enterprise.id) == col(DiagnosisOrder.enterprise_id))
        .where(
            col(Enterprise.region_code) == enterprise.region_code,
            col(Enterprise.id) != enterprise.id,
            col(DiagnosisOrder.status).in_([str(s) for s in PEER_STATUSES]),
        )
        .order_by(col(Result.id))
    ).all()
    newest: dict[int, Result] = {}
    for peer_result, _, peer in rows:
        if peer.industry_code.strip()[:2] == division and peer.id is not None:
            newest[peer.id] = peer_result
    own = score_of(result.detail["score"])
    peers = [score_of(r.detail["score"]) for r in newest.values()]
    bench = peer_benchmark(own, peers)
    comparable = sum(1 for p in peers if p.model_version == own.model_version)
    return Standing(
        region_name=region.name if region else enterprise.region_code,
        industry_division=division,
        peers=comparable,
        minimum=MIN_PEERS,
        percentile=bench.score.percentile if bench else None,
        own_score=round(float(own.score), 4),
        peer_median=bench.score.peer_median if bench else None,
    )
