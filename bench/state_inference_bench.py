"""Bench: Gaussian-mixture state inference vs a fixed-threshold baseline, agreement and throughput."""

from __future__ import annotations

import time

from scoring.ml.state_inference import agreement, fit_state_model, generate_current_signal, infer_states

N = 20_000
SEEDS = range(20)
# Baseline: one fixed pair of cuts for every machine (the usual hand rule), in amperes.
OFF_BELOW_A, RUN_ABOVE_A = 0.5, 10.0


def baseline(values: list[float]) -> list[str]:
    """Fixed thresholds: below 0.5 A OFF, above 10 A RUN, IDLE between."""
    return ["OFF" if v < OFF_BELOW_A else "RUN" if v > RUN_ABOVE_A else "IDLE" for v in values]


def main() -> None:
    """Print per-seed agreement and overall throughput of both methods, and their ratios."""
    gmm_s = base_s = 0.0
    gmm_agree: list[float] = []
    base_agree: list[float] = []
    for seed in SEEDS:
        values, truth = generate_current_signal(N, seed)
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
    samples = N * len(SEEDS)
    print(
        f"mean agreement: gmm {sum(gmm_agree) / len(gmm_agree):.4f}, fixed {sum(base_agree) / len(base_agree):.4f}"
    )
    print(f"worst agreement: gmm {min(gmm_agree):.4f}, fixed {min(base_agree):.4f}")
    print(
        f"throughput (fit + infer): gmm {samples / gmm_s:,.0f} samples/s, fixed {samples / base_s:,.0f} samples/s"
    )
    print(f"gmm time / fixed time: {gmm_s / base_s:.2f}x")


if __name__ == "__main__":
    main()
