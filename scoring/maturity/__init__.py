"""CMMM maturity scoring (GB/T 39116 / 39117): model, scoring, evidence, gaps, roadmap, peers."""

from scoring.maturity.assessment import (
    RATINGS,
    Answer,
    Assessment,
    AssessmentError,
    apply_tailoring,
    canonical_inputs,
    input_hash,
    parse_assessment,
)
from scoring.maturity.engine import NodeScore, ScoreResult, score
from scoring.maturity.evidence import (
    MeasuredEvidence,
    Proposal,
    Reconciled,
    Shortfall,
    apply_reconciled,
    from_figures,
    insufficient_text,
    load_evidence_rules,
    propose_ratings,
    rating_step,
    reconcile,
    shortfalls,
)
from scoring.maturity.gaps import Gap, GapList, gap_list
from scoring.maturity.model import MaturityModel, Requirement, load_model
from scoring.maturity.peers import PeerBenchmark, Percentile, benchmark_unavailable_reason, peer_benchmark
from scoring.maturity.roadmap import Action, Investments, Roadmap, RoadmapStep, load_actions, plan_roadmap
from scoring.maturity.rule import RULE_VERSION, TotalScore, total_score

__all__ = [
    "RATINGS",
    "RULE_VERSION",
    "Action",
    "Answer",
    "Assessment",
    "AssessmentError",
    "Gap",
    "GapList",
    "Investments",
    "MaturityModel",
    "MeasuredEvidence",
    "NodeScore",
    "PeerBenchmark",
    "Percentile",
    "Proposal",
    "Reconciled",
    "Requirement",
    "Roadmap",
    "RoadmapStep",
    "ScoreResult",
    "Shortfall",
    "TotalScore",
    "apply_reconciled",
    "apply_tailoring",
    "benchmark_unavailable_reason",
    "canonical_inputs",
    "from_figures",
    "gap_list",
    "input_hash",
    "insufficient_text",
    "load_actions",
    "load_evidence_rules",
    "load_model",
    "parse_assessment",
    "peer_benchmark",
    "plan_roadmap",
    "propose_ratings",
    "rating_step",
    "reconcile",
    "score",
    "shortfalls",
    "total_score",
]
