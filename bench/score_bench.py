"""Benchmark: score 10,000 full assessments; baseline = building and hashing the same inputs."""

from __future__ import annotations

import random
import time
from fractions import Fraction

from scoring.maturity import Answer, Assessment, input_hash, load_model, score

N = 10_000
RATINGS = (Fraction(1), Fraction(4, 5), Fraction(1, 2), Fraction(0))


def build(seed: int, model_ids: list[tuple[str, int]]) -> list[Assessment]:
    """N random full assessments (every requirement rated, a few tailored out), seeded."""
    rnd = random.Random(seed)
    out = []
    for i in range(N):
        reached = rnd.randint(0, 5)  # levels up to `reached` mostly met, above mostly not
        answers = tuple(
            Answer(rid, None, "bench")
            if rnd.random() < 0.03
            else Answer(rid, rnd.choice(RATINGS[:2] if level <= reached else RATINGS[2:]))
            for rid, level in model_ids
        )
        out.append(Assessment("discrete" if i % 2 else "process", answers))
    return out


def main() -> None:
    """Print assessments per second for scoring and for the baseline, and their ratio."""
    model = load_model()
    ids = [(r.id, r.level) for r in model.requirements]
    t0 = time.perf_counter()
    assessments = build(42, ids)
    hashes = [input_hash(a, model) for a in assessments]
    baseline_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    results = [score(a, model) for a in assessments]
    score_s = time.perf_counter() - t1
    assert [r.input_hash for r in results] == hashes
    levels = sorted({r.level for r in results})
    print(f"assessments: {N} x {len(ids)} requirements; levels seen {levels}")
    print(f"baseline (build + hash inputs): {baseline_s:.2f} s = {N / baseline_s:,.0f} assessments/s")
    print(f"score (full result incl. hash): {score_s:.2f} s = {N / score_s:,.0f} assessments/s")
    print(f"ratio score time / baseline time: {score_s / baseline_s:.2f}")


if __name__ == "__main__":
    main()
