"""Anomaly detection on held-out generated data: the model and the rules against baselines, precision and recall.

python bench/anomaly_model_bench.py [--train 800 --test 1000]
"""

from __future__ import annotations

import argparse
import random
import time

from scoring.supervision import detect, load_rules, train
from scoring.supervision.rules import KINDS, identical_partial
from scoring.supervision.synthetic import (
    generate_clean,
    inject_claim_contradicted,
    inject_duplicate_answers,
    inject_duplicate_report,
    inject_score_mismatch,
    inject_short_delivery,
    inject_visit_without_telemetry,
)

SHARE = 0.05  # share of test records planted with each anomaly kind


def _plant(records: list, rng: random.Random, kinds: tuple[str, ...] = KINDS) -> set[tuple[int, str]]:  # type: ignore[type-arg]
    planted: set[tuple[int, str]] = set()
    free = list(range(len(records)))
    rng.shuffle(free)
    per_kind = int(len(records) * SHARE)
    for kind in kinds:
        for _ in range(per_kind):
            i = free.pop()
            if kind == "score_mismatch":
                planted |= inject_score_mismatch(records, i, rng.uniform(1.0, 2.0))
            elif kind == "claim_contradicted":
                planted |= inject_claim_contradicted(records, i)
            elif kind == "visit_without_telemetry":
                planted |= inject_visit_without_telemetry(records, i)
            elif kind == "short_delivery":
                planted |= inject_short_delivery(records, i)
            else:
                source = next(j for j in free if identical_partial(records[j], records[j]) >= 6)
                free.remove(source)
                inject = inject_duplicate_answers if kind == "duplicate_answers" else inject_duplicate_report
                planted |= inject(records, i, source)
    return planted


def _pr(found: set[tuple[int, str]], truth: set[tuple[int, str]]) -> tuple[float, float, float]:
    hit = len(found & truth)
    precision = hit / len(found) if found else 0.0
    recall = hit / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    """Train on clean records, test on a held-out set with planted anomalies, print figures and ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", type=int, default=800, help="clean records to train on")
    parser.add_argument("--test", type=int, default=1000, help="held-out records, anomalies planted")
    args = parser.parse_args()
    train_n, test_n = args.train, args.test
    rng = random.Random(2026)
    started = time.perf_counter()
    model = train(generate_clean(train_n, seed=1), random_state=0)
    fit_s = time.perf_counter() - started
    test = generate_clean(test_n, seed=2, first_id=100_000)
    truth = _plant(test, rng)
    started = time.perf_counter()
    flags = detect(test, load_rules(), model)
    detect_s = time.perf_counter() - started
    found = {(f.order_id, f.kind) for f in flags}
    print(
        f"model: trained on {train_n} clean records in {fit_s:.2f} s; validation MAE {model.validation_mae:.3f}, "
        f"R² {model.validation_r2:.3f}, residual σ {model.residual_sigma:.3f}"
    )
    print(f"held-out: {test_n} records, {len(truth)} planted anomalies; detection took {detect_s:.2f} s")
    print(f"{'kind':26} {'precision':>9} {'recall':>7} {'F1':>6}")
    for kind in KINDS:
        p, r, f = _pr({x for x in found if x[1] == kind}, {x for x in truth if x[1] == kind})
        print(f"{kind:26} {p:9.3f} {r:7.3f} {f:6.3f}")
    p, r, f = _pr(found, truth)
    print(f"{'all kinds':26} {p:9.3f} {r:7.3f} {f:6.3f}")
    # Per order: a planted order flagged under any kind is a hit (a fake networking claim also makes
    # the reported score implausible, so the model rightly flags it too; per kind that counts as noise).
    orders_p, orders_r, orders_f = _pr({(o, "") for o, _ in found}, {(o, "") for o, _ in truth})
    print(f"{'per order (any kind)':26} {orders_p:9.3f} {orders_r:7.3f} {orders_f:6.3f}")

    # Score mismatch alone on a second held-out set: the model against two baselines, same run, same records.
    test = generate_clean(test_n, seed=3, first_id=200_000)
    truth = _plant(test, rng, ("score_mismatch",))
    mismatch_truth = {x[0] for x in truth}
    model_found = {f.order_id for f in detect(test, load_rules(), model) if f.kind == "score_mismatch"}
    scores = [r.score for r in test]
    mean = sum(scores) / len(scores)
    sd = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
    # Baseline 1, a score-only rule: flag reported scores more than 2 standard deviations from the mean.
    zrule = {r.order_id for r in test if abs(r.score - mean) > 2 * sd}
    # Baseline 2, the majority classifier: nothing is anomalous.
    majority: set[int] = set()
    print(f"\nscore_mismatch only: {test_n} records, {len(mismatch_truth)} planted (shift 1.0-2.0 points)")
    print("detector                    precision  recall     F1")
    results = {}
    for name, got in (
        ("model (gradient boosting)", model_found),
        ("score z-rule (|z|>2)", zrule),
        ("majority (never flags)", majority),
    ):
        hit = len(got & mismatch_truth)
        p = hit / len(got) if got else 0.0
        r = hit / len(mismatch_truth)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        results[name] = f1
        print(f"{name:27} {p:9.3f} {r:7.3f} {f1:6.3f}")
    base = results["score z-rule (|z|>2)"]
    ratio = results["model (gradient boosting)"] / base if base else float("inf")
    print(f"ratio: model F1 / z-rule F1 = {ratio:.1f}x (majority F1 = 0)")


if __name__ == "__main__":
    main()
