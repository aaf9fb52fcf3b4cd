"""Benchmark: score N full assessments; baseline = building, tailoring and hashing the same inputs.

Each assessment rates every requirement; about one in ten tailors one tailorable sub-domain out with a
reason from the fixed list, as the questionnaire records it before scoring. The baseline does the work
every scoring needs before it rolls up (canonical inputs and their hash, tailoring applied), so the ratio
is the cost of the roll-up and the result. The check: each result's input hash is the hash of the
tailored assessment it scored.

    python bench/score_bench.py [--assessments 10000]
"""

from __future__ import annotations

import argparse
import random
import time
from fractions import Fraction

from scoring.maturity import Answer, Assessment, apply_tailoring, input_hash, load_model, score
from scoring.maturity.tailoring import Tailoring, load_tailoring_rules

RATINGS = (Fraction(1), Fraction(4, 5), Fraction(1, 2), Fraction(0))
TAILORED_SHARE = 0.1


def build(n: int, seed: int, model_ids: list[tuple[str, int]]) -> list[Assessment]:
    """`n` random full assessments (every requirement rated; some tailor one sub-domain out), seeded."""
    rules = load_tailoring_rules()
    reasons = [code for code, _zh, _en in rules.reasons]
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        reached = rnd.randint(0, 5)  # levels up to `reached` mostly met, above mostly not
        answers = tuple(
            Answer(rid, rnd.choice(RATINGS[:2] if level <= reached else RATINGS[2:]))
            for rid, level in model_ids
        )
        tailoring: tuple[Tailoring, ...] = ()
        if rnd.random() < TAILORED_SHARE:
            tailoring = (Tailoring(rnd.choice(rules.tailorable), rnd.choice(reasons), "bench"),)
        out.append(Assessment("discrete" if i % 2 else "process", answers, tailoring))
    return out


def main() -> None:
    """Print assessments per second for scoring and for the baseline, and their ratio."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assessments", type=int, default=10_000)
    n = parser.parse_args().assessments
    model = load_model()
    ids = [(r.id, r.level) for r in model.requirements]
    t0 = time.perf_counter()
    assessments = build(n, 42, ids)
    hashes = [input_hash(apply_tailoring(a, model), model) for a in assessments]
    baseline_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    results = [score(a, model) for a in assessments]
    score_s = time.perf_counter() - t1
    mismatched = sum(1 for r, h in zip(results, hashes, strict=True) if r.input_hash != h)
    if mismatched:
        raise SystemExit(f"{mismatched} of {n} results carry another input hash than the tailored input's")
    levels = sorted({r.level for r in results})
    tailored = sum(1 for a in assessments if a.tailoring)
    print(
        f"assessments: {n} x {len(ids)} requirements ({tailored} with a sub-domain tailored); levels {levels}"
    )
    print(f"baseline (build, tailor, hash inputs): {baseline_s:.2f} s = {n / baseline_s:,.0f} assessments/s")
    print(f"score (full result incl. hash):        {score_s:.2f} s = {n / score_s:,.0f} assessments/s")
    print(f"ratio score time / baseline time: {score_s / baseline_s:.2f}")


if __name__ == "__main__":
    main()
