"""Bench: Gaussian-mixture state inference vs a fixed-threshold baseline, agreement and throughput.

python bench/state_inference_bench.py [--samples 20000 --seeds 20 --machines 10]
"""

from __future__ import annotations

import argparse
import time

from scoring.ml.state_inference import agreement, fit_state_model, generate_current_signal, infer_states
from scoring.ml.state_store import dumps, generate_machine_signal, loads

# Baseline: one fixed pair of cuts for every machine (the usual hand rule), in amperes.
OFF_BELOW_A, RUN_ABOVE_A = 0.5, 10.0


def baseline(values: list[float]) -> list[str]:
    """Fixed thresholds: below 0.5 A OFF, above 10 A RUN, IDLE between."""
    return ["OFF" if v < OFF_BELOW_A else "RUN" if v > RUN_ABOVE_A else "IDLE" for v in values]


def main(n: int, seeds: int) -> None:
    """Print per-seed agreement and overall throughput of both methods, and their ratios."""
    gmm_s = base_s = 0.0
    gmm_agree: list[float] = []
    base_agree: list[float] = []
    for seed in range(seeds):
        values, truth = generate_current_signal(n, seed)
        start = time.perf_counter()
        predicted = infer_states(fit_state_model(values), values)
        gmm_s += time.perf_counter() - start
        start = time.perf_counter()
        fixed = baseline(values.tolist())
        base_s += time.perf_counter() - start
        gmm_agree.append(agreement(predicted, truth))
        base_agree.append(agreement(fixed, truth))
        print(
            f"seed {seed}: gmm agreement {gmm_agree[-1]:.4f}  fixed-threshold agreement {base_agree[-1]:.4f}"
        )
    samples = n * seeds
    print(
        f"mean agreement: gmm {sum(gmm_agree) / len(gmm_agree):.4f}, fixed {sum(base_agree) / len(base_agree):.4f}"
    )
    print(f"worst agreement: gmm {min(gmm_agree):.4f}, fixed {min(base_agree):.4f}")
    print(
        f"throughput (fit + infer): gmm {samples / gmm_s:,.0f} samples/s, fixed {samples / base_s:,.0f} samples/s"
    )
    print(f"gmm time / fixed time: {gmm_s / base_s:.2f}x")


def realistic(machines: int) -> None:
    """Machining centres (idle draw with a cycling coolant pump, spindle load per job, start-up surges, off
    at night): fit once on day 1 (the training window), apply the stored model to days 2-7, against the
    fixed thresholds on the same days; and a query with the stored model against refitting per query."""
    model_agree: list[float] = []
    base_agree: list[float] = []
    stored_s = refit_s = 0.0
    for seed in range(machines):
        values, truth = generate_machine_signal(7, seed, step_s=10)
        day = len(values) // 7
        blob = dumps(fit_state_model(values[:day]))  # once per device and training window
        test, test_truth = values[day:], truth[day:]
        start = time.perf_counter()
        predicted = infer_states(loads(blob)[1], test)
        stored_s += time.perf_counter() - start
        start = time.perf_counter()
        infer_states(fit_state_model(test), test)  # what refitting on every query would cost
        refit_s += time.perf_counter() - start
        model_agree.append(agreement(predicted, test_truth))
        base_agree.append(agreement(baseline(test.tolist()), test_truth))
        print(f"machine {seed}: stored model {model_agree[-1]:.4f}  fixed-threshold {base_agree[-1]:.4f}")
    mean_model, mean_base = sum(model_agree) / len(model_agree), sum(base_agree) / len(base_agree)
    print(f"realistic signal, mean accuracy: stored model {mean_model:.4f}, fixed {mean_base:.4f}")
    print(f"realistic signal, stored model / fixed accuracy: {mean_model / mean_base:.3f}x")
    print(f"query time, refit per query / stored model: {refit_s / stored_s:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=20_000, help="samples per generated signal")
    parser.add_argument("--seeds", type=int, default=20, help="generated signals")
    parser.add_argument("--machines", type=int, default=10, help="realistic machine weeks")
    args = parser.parse_args()
    main(args.samples, args.seeds)
    realistic(args.machines)
