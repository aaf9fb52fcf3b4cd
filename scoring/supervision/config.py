"""The audit's thresholds and fee caps, read from the packaged, cited data file data/rules.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class ClaimCheck:
    """A questionnaire claim that a measured indicator can contradict."""

    requirement: str
    indicator: str  # networking_rate | coverage
    claimed_at_least: float
    measured_below: float
    source: str


@dataclass(frozen=True)
class FeeCap:
    """A cap on the fee of one diagnosis of a kind (the order service's caps, e.g. 003 clause (六))."""

    kind: str
    cap_fen: int
    source: str


@dataclass(frozen=True)
class AuditRules:
    """Every threshold the anomaly rules use, with the version stamped on stored flags."""

    version: str
    claims: tuple[ClaimCheck, ...]
    visit_window_days: int
    min_delivery_days: dict[str, int]
    duplicate_min_answered: int
    duplicate_min_identical_share: float
    duplicate_min_identical_partial: int
    report_shingle_chars: int
    report_min_jaccard: float
    mismatch_min_sigmas: float
    mismatch_min_points: float
    sources: dict[str, str]
    heavy_tailoring_min_subdomains: int = 3


def _num(value: str) -> float:
    return float(Decimal(value))


def parse_rules(raw: dict[str, Any]) -> AuditRules:
    """Build the rules from the JSON structure (raises KeyError on a missing field)."""
    claims = tuple(
        ClaimCheck(
            c["requirement"],
            c["indicator"],
            _num(c["claimed_at_least"]),
            _num(c["measured_below"]),
            c["source"],
        )
        for c in raw["claims"]
    )
    keys = (
        "visit_window_days",
        "min_delivery_days",
        "duplicate_answers",
        "duplicate_reports",
        "score_mismatch",
    )
    return AuditRules(
        version=raw["version"],
        claims=claims,
        visit_window_days=int(raw["visit_window_days"]["value"]),
        min_delivery_days={k: int(raw["min_delivery_days"][k]) for k in ("factory", "workshop")},
        duplicate_min_answered=int(raw["duplicate_answers"]["min_answered"]),
        duplicate_min_identical_share=_num(raw["duplicate_answers"]["min_identical_share"]),
        duplicate_min_identical_partial=int(raw["duplicate_answers"]["min_identical_partial"]),
        report_shingle_chars=int(raw["duplicate_reports"]["shingle_chars"]),
        report_min_jaccard=_num(raw["duplicate_reports"]["min_jaccard"]),
        mismatch_min_sigmas=_num(raw["score_mismatch"]["min_residual_sigmas"]),
        mismatch_min_points=_num(raw["score_mismatch"]["min_residual_points"]),
        sources={k: str(raw[k]["source"]) for k in keys}
        | {"heavy_tailoring": str(raw.get("heavy_tailoring", {}).get("source", "project default"))},
        heavy_tailoring_min_subdomains=int(raw.get("heavy_tailoring", {}).get("min_subdomains", 3)),
    )


def raw_rules() -> dict[str, Any]:
    """The packaged data file as parsed JSON."""
    text = resources.files("scoring.supervision.data").joinpath("rules.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def load_rules() -> AuditRules:
    """The packaged audit rules."""
    return parse_rules(raw_rules())
