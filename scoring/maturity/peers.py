"""Peer benchmark: where an enterprise's S and sub-domain scores sit among comparable results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median
from typing import Any

from scoring.maturity.engine import ScoreResult

MIN_PEERS = 5  # fewer peers would let a reader infer individual enterprises' scores
METHOD = "percentile rank = 100 × (peers below + ½ × peers equal) / peers"


@dataclass(frozen=True)
class Percentile:
    """One measure: own value, its percentile rank among peers, and the peers' median."""

    key: str
    own: float
    percentile: float
    peer_median: float
    peers: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dict(vars(self))


@dataclass(frozen=True)
class PeerBenchmark:
    """Percentiles of S and of every sub-domain's overall score."""

    peers: int
    score: Percentile
    subdomains: tuple[Percentile, ...]
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "peers": self.peers,
            "score": self.score.to_dict(),
            "subdomains": [p.to_dict() for p in self.subdomains],
            "method": self.method,
        }


def _rank(key: str, own: Fraction, values: Sequence[Fraction]) -> Percentile:
    """Percentile rank of `own` among `values` (mid-rank for ties)."""
    below = sum(1 for v in values if v < own)
    equal = sum(1 for v in values if v == own)
    pct = Fraction(100) * (below + Fraction(equal, 2)) / len(values)
    return Percentile(
        key, round(float(own), 4), round(float(pct), 2), round(float(median(values)), 4), len(values)
    )


def benchmark_unavailable_reason(own: ScoreResult, peers: Sequence[ScoreResult]) -> str | None:
    """Why `peer_benchmark` returns None, or None when it does not."""
    comparable = [p for p in peers if p.model_version == own.model_version]
    if len(comparable) < MIN_PEERS:
        return (
            f"only {len(comparable)} peer result(s) on model {own.model_version}; "
            f"at least {MIN_PEERS} are needed so no single enterprise can be singled out"
        )
    return None


def peer_benchmark(own: ScoreResult, peers: Sequence[ScoreResult]) -> PeerBenchmark | None:
    """Percentiles of S and sub-domain scores among peers on the same model; None below 5 peers.

    The reason for a None is given by `benchmark_unavailable_reason`.
    """
    if benchmark_unavailable_reason(own, peers) is not None:
        return None
    comparable = [p for p in peers if p.model_version == own.model_version]
    subdomains = []
    for node in own.subdomains:
        mine = node.overall
        if mine is None:
            continue
        values = [
            v for p in comparable for n in p.subdomains if n.id == node.id and (v := n.overall) is not None
        ]
        if values:
            subdomains.append(_rank(node.id, mine, values))
    return PeerBenchmark(
        peers=len(comparable),
        score=_rank("score", own.score, [p.score for p in comparable]),
        subdomains=tuple(subdomains),
    )
