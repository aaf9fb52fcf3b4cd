"""Infer RUN / IDLE / OFF of a dumb device from its current (or power) signal with a Gaussian mixture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from sklearn.mixture import GaussianMixture

FloatArray = NDArray[np.float64]
RANDOM_STATE = 0  # fixed so the same signal always gives the same model
MAX_FIT_SAMPLES = 20_000  # a subsample fits the same levels much faster than a week of 1 Hz data
# Project default: a 2-level device whose low level is under this share of its high level is
# switched off between jobs (OFF/RUN); otherwise it idles between jobs (IDLE/RUN).
OFF_SHARE_OF_RUN = 0.05
# Project default: levels closer than a factor e**0.4 (about 1.5x) are one level that drifts, not two.
MIN_LOG_GAP = 0.4


@dataclass(frozen=True, slots=True)
class StateModel:
    """Fitted levels of one device: component means (ascending), their states, and cut points between them."""

    means: tuple[float, ...]
    states: tuple[str, ...]
    thresholds: tuple[float, ...]


def fit_state_model(values: Sequence[float] | FloatArray, *, random_state: int = RANDOM_STATE) -> StateModel:
    """Fit 2- and 3-component mixtures on the 1-D signal, keep the lower BIC, order components by mean."""
    signal = np.asarray(values, dtype=np.float64)
    signal = signal[np.isfinite(signal)]
    if signal.size < 10 or float(np.ptp(signal)) == 0.0:
        raise ValueError("need at least 10 finite, not all equal values to fit a state model")
    if signal.size > MAX_FIT_SAMPLES:
        signal = np.random.default_rng(random_state).choice(signal, MAX_FIT_SAMPLES, replace=False)
    # Fit on log(1 + A): RUN's spread grows with its level, the log makes the three levels' spreads
    # comparable so the mixture does not split a wide, drifting RUN level into two components.
    column = np.log1p(np.clip(signal, 0.0, None)).reshape(-1, 1)
    from sklearn.mixture import GaussianMixture  # scikit-learn only where a model is fitted

    fits = [GaussianMixture(k, random_state=random_state, n_init=3).fit(column) for k in (2, 3)]
    distinct = [fit for fit in fits if float(np.diff(np.sort(fit.means_.ravel())).min()) >= MIN_LOG_GAP]
    best = min(distinct or fits[:1], key=lambda model: float(model.bic(column)))
    order = np.argsort(best.means_.ravel())
    log_means = best.means_.ravel()[order]
    means = tuple(float(np.expm1(m)) for m in log_means)
    if len(means) == 3:
        states: tuple[str, ...] = ("OFF", "IDLE", "RUN")
    else:
        states = ("OFF" if means[0] < OFF_SHARE_OF_RUN * means[1] else "IDLE", "RUN")
    cuts = (
        _boundary(best, order, i, float(log_means[i]), float(log_means[i + 1])) for i in range(len(means) - 1)
    )
    thresholds = tuple(float(np.expm1(cut)) for cut in cuts)
    return StateModel(means=means, states=states, thresholds=thresholds)


def infer_states(model: StateModel, values: Sequence[float] | FloatArray) -> tuple[str, ...]:
    """The state of each value: which cut points it lies above."""
    signal = np.asarray(values, dtype=np.float64)
    index = np.searchsorted(np.asarray(model.thresholds), signal, side="right")
    return tuple(model.states[int(i)] for i in index)


def agreement(predicted: Sequence[str], truth: Sequence[str]) -> float:
    """Share of positions where the predicted state equals the true one."""
    if len(predicted) != len(truth):
        raise ValueError(f"lengths differ: {len(predicted)} predicted, {len(truth)} true")
    if not truth:
        raise ValueError("nothing to compare")
    return sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)


def generate_current_signal(n: int, seed: int, *, levels: int = 3) -> tuple[FloatArray, tuple[str, ...]]:
    """A synthetic clamp-meter signal (A) with true states: OFF ~0 A, IDLE a few A, RUN tens of A, drifting.

    Levels vary by seed (machine size), dwell times are geometric, RUN drifts slowly; `levels=2`
    gives a device that only switches between OFF and RUN.
    """
    rng = np.random.default_rng(seed)
    idle_a = float(rng.uniform(1.0, 6.0))
    run_a = float(rng.uniform(max(3 * idle_a, 6.0), 80.0))  # small lathes to big presses
    mean_dwell = {"OFF": 80.0, "IDLE": 40.0, "RUN": 120.0}
    successors = {"RUN": ("IDLE", "OFF"), "IDLE": ("RUN", "OFF"), "OFF": ("RUN", "IDLE")}
    weights = {"RUN": (0.7, 0.3), "IDLE": (0.8, 0.2), "OFF": (0.5, 0.5)}
    truth: list[str] = []
    state = "OFF"
    while len(truth) < n:
        truth.extend([state] * int(rng.geometric(1.0 / mean_dwell[state])))
        if levels == 2:
            state = "RUN" if state == "OFF" else "OFF"
        else:
            state = str(rng.choice(successors[state], p=weights[state]))
    truth = truth[:n]
    drift = np.clip(np.cumsum(rng.normal(0.0, 0.004 * run_a, n)), -0.1 * run_a, 0.1 * run_a)
    values = np.empty(n, dtype=np.float64)
    for i, label in enumerate(truth):
        if label == "OFF":
            values[i] = abs(rng.normal(0.05, 0.03))
        elif label == "IDLE":
            values[i] = rng.normal(idle_a, 0.08 * idle_a)
        else:
            values[i] = rng.normal(run_a, 0.06 * run_a) + drift[i]
    return np.clip(values, 0.0, None), tuple(truth)


def _boundary(
    model: GaussianMixture, order: NDArray[np.intp], low: int, low_mean: float, high_mean: float
) -> float:
    """Where, between two adjacent means, the higher component becomes the more probable one."""
    grid = np.linspace(low_mean, high_mean, 2001)
    posterior = model.predict_proba(grid.reshape(-1, 1))
    higher_wins = posterior[:, order[low + 1]] >= posterior[:, order[low]]
    first = int(np.argmax(higher_wins)) if bool(higher_wins.any()) else grid.size - 1
    return float(grid[first])
