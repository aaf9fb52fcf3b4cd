"""Dumb-device state inference from a current signal."""

from __future__ import annotations

import pytest

from scoring.ml.state_inference import agreement, fit_state_model, generate_current_signal, infer_states


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize(("levels", "states"), [(3, ("OFF", "IDLE", "RUN")), (2, ("OFF", "RUN"))])
def test_inferred_states_agree_with_truth(seed: int, levels: int, states: tuple[str, ...]) -> None:
    values, truth = generate_current_signal(4000, seed, levels=levels)
    model = fit_state_model(values)
    assert model.states == states
    assert list(model.means) == sorted(model.means)
    assert agreement(infer_states(model, values), truth) >= 0.9


def test_fitting_is_deterministic() -> None:
    values, _ = generate_current_signal(2000, 11)
    assert fit_state_model(values) == fit_state_model(values)


def test_idle_run_device_without_off_level() -> None:
    values = [4.0 + (i % 7) * 0.1 for i in range(300)] + [40.0 + (i % 5) for i in range(300)]
    model = fit_state_model(values)
    assert model.states == ("IDLE", "RUN")
    assert infer_states(model, [4.2, 41.0]) == ("IDLE", "RUN")


@pytest.mark.parametrize("values", [[1.0] * 50, [1.0, 2.0]])
def test_unfittable_signals_raise(values: list[float]) -> None:
    with pytest.raises(ValueError, match="at least 10"):
        fit_state_model(values)


def test_agreement_counts_matches() -> None:
    assert agreement(["RUN", "OFF", "IDLE", "RUN"], ["RUN", "OFF", "RUN", "RUN"]) == 0.75
    with pytest.raises(ValueError):
        agreement(["RUN"], [])
