"""Bureau audit, pure: provider performance, anomaly rules, the score-mismatch model, provider subsidy."""

from __future__ import annotations

from collections.abc import Sequence

from scoring.supervision.config import AuditRules, ClaimCheck, FeeCap, load_rules, parse_rules, raw_rules
from scoring.supervision.model import (
    FEATURES,
    MIN_TRAINING_RECORDS,
    MODEL_VERSION,
    AnomalyModel,
    Prediction,
    feature_matrix,
    features,
    mismatch_flags,
    predict,
    train,
    training_hash,
)
from scoring.supervision.performance import (
    BatchUse,
    OverCap,
    ProviderPerformance,
    batch_use,
    in_period,
    league_table,
    ratio,
)
from scoring.supervision.provider_subsidy import ProviderYear, clause7_line, provider_year, subsidy_plan
from scoring.supervision.records import (
    BatchRecord,
    DiagnosisRecord,
    Evidence,
    Flag,
    OrderRecord,
    OutcomeRecord,
)
from scoring.supervision.rules import KINDS, merge, rule_flags

__all__ = [
    "FEATURES",
    "KINDS",
    "MIN_TRAINING_RECORDS",
    "MODEL_VERSION",
    "AnomalyModel",
    "AuditRules",
    "BatchRecord",
    "BatchUse",
    "ClaimCheck",
    "DiagnosisRecord",
    "Evidence",
    "FeeCap",
    "Flag",
    "OrderRecord",
    "OutcomeRecord",
    "OverCap",
    "Prediction",
    "ProviderPerformance",
    "ProviderYear",
    "batch_use",
    "clause7_line",
    "detect",
    "feature_matrix",
    "features",
    "in_period",
    "league_table",
    "load_rules",
    "mismatch_flags",
    "parse_rules",
    "predict",
    "provider_year",
    "ratio",
    "raw_rules",
    "rule_flags",
    "subsidy_plan",
    "train",
    "training_hash",
]


def detect(
    records: Sequence[DiagnosisRecord], rules: AuditRules | None = None, model: AnomalyModel | None = None
) -> list[Flag]:
    """Every flag over the records: the rules, plus score mismatches when a trained model is given."""
    active = rules or load_rules()
    flags = rule_flags(records, active)
    if model is not None:
        flags = merge([*flags, *mismatch_flags(model, records, active)])
    return flags
