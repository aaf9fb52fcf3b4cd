"""A fitted state model as stored data: versioned, serialised with skops (plain types only, no pickle)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoring.ml.state_inference import StateModel

# Bump when fit_state_model changes: a stored model of another version is refitted, never reused.
STATE_MODEL_VERSION = "gmm-log1p-2024.1"


def dumps(model: StateModel) -> bytes:
    """The model's levels, states and cut points with its version, as skops bytes."""
    import skops.io as sio  # skops (and scikit-learn behind it) only when a model is read or written

    return bytes(
        sio.dumps(
            {
                "version": STATE_MODEL_VERSION,
                "means": list(model.means),
                "states": list(model.states),
                "thresholds": list(model.thresholds),
            }
        )
    )


def loads(blob: bytes) -> tuple[str, StateModel]:
    """(version, model) from stored bytes; only built-in types are trusted."""
    import skops.io as sio  # skops (and scikit-learn behind it) only when a model is read or written

    data = sio.loads(blob, trusted=[])
    model = StateModel(
        means=tuple(float(m) for m in data["means"]),
        states=tuple(str(s) for s in data["states"]),
        thresholds=tuple(float(t) for t in data["thresholds"]),
    )
    return str(data["version"]), model


def generate_machine_signal(
    days: int, seed: int, *, step_s: int = 10
) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    """A realistic clamp-meter signal of a machining centre (A) and its true states, one sample per `step_s`.

    Two shifts 08:00-24:00 with the machine off at night; in a shift it alternates jobs (RUN: spindle
    load from 25 % to 100 % of its rated current per job, a start-up surge of about twice the job's
    load for the first samples) and idle spells (control, hydraulics, and a coolant pump cycling on
    and off on top of the idle draw); short stops inside a job drop to idle draw.
    """
    rng = np.random.default_rng(seed)
    rated_a = float(rng.uniform(8.0, 60.0))  # small lathes to large machining centres
    idle_a = float(rng.uniform(1.5, 4.0))
    pump_a = float(rng.uniform(0.8, 2.5))
    per_day = 86_400 // step_s
    values = np.empty(days * per_day, dtype=np.float64)
    truth: list[str] = []
    i = 0
    for _day in range(days):
        start = i
        while i < start + per_day:
            hour = (i - start) * step_s / 3600
            if hour < 8:
                span = min(int((8 - hour) * 3600 / step_s) + 1, start + per_day - i)
                values[i : i + span] = np.abs(rng.normal(0.05, 0.03, span))
                truth += ["OFF"] * span
            elif rng.random() < 0.6:
                span = min(int(rng.integers(60, 360)), start + per_day - i)  # a job of 10-60 minutes
                load = rated_a * float(rng.uniform(0.25, 1.0))  # light finishing cuts to roughing
                job = rng.normal(load, 0.07 * load, span)
                surge = min(span, 3)
                job[:surge] *= 2.0
                values[i : i + span] = job
                truth += ["RUN"] * span
            else:
                span = min(int(rng.integers(12, 180)), start + per_day - i)  # idle 2-30 minutes
                pump = (np.arange(span) // int(rng.integers(6, 30))) % 2 * pump_a
                values[i : i + span] = rng.normal(idle_a, 0.1 * idle_a, span) + pump
                truth += ["IDLE"] * span
            i += span
    return np.clip(values[:i], 0.0, None), tuple(truth[:i])
