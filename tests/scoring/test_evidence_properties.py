"""Properties of the evidence snapshot over random plants (issue #22, tests/plants.py): every ratio bounded,
plant OEE = A × P × Q of one population, statuses consistent (no number beside 数据不足), unknown time never
downtime, coverage ≤ 1, plant utilisation derivable from the device values shown, an exact JSON round trip."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings

from scoring.indicators.figures import INSUFFICIENT, OK, OUT_OF_BOUNDS, UNAVAILABLE, load_figure_rules
from scoring.indicators.oee import PERFORMANCE_TOLERANCE
from scoring.indicators.snapshot import EvidenceSnapshot, evidence_snapshot
from scoring.indicators.snapshot_json import from_dict, sha256, to_dict
from tests import plants

RULES = load_figure_rules()
UNIT = ("availability", "quality", "coverage", "utilisation", "networking_rate")  # in [0, 1]
TOLERATED = ("performance", "oee", "teep")  # in [0, 1.05]: rounding of the ideal cycle time; beyond: 越界


def check_bounds(snapshot: EvidenceSnapshot) -> None:
    """Every ratio of every device, day and the plant lies in its physical bounds."""
    figures = [*snapshot.figures.values(), *(f for _, f in snapshot.daily)]
    figures += [f for d in snapshot.devices for f in d.figures.values()]
    for figure in figures:
        if figure.value is None or figure.status != OK:
            continue
        if figure.name in UNIT:
            assert 0 <= figure.value <= 1, figure
        elif figure.name in TOLERATED:
            assert 0 <= figure.value <= PERFORMANCE_TOLERANCE, figure
        else:
            assert figure.value >= 0, figure


def check_statuses(snapshot: EvidenceSnapshot) -> None:
    """A status tells whether there is a number, and why not; one card never mixes them for a device."""
    for device in snapshot.devices:
        assert device.received <= device.expected or device.coverage_basis == "exception"
        for card in RULES.cards:
            if card.id == "networking":
                continue
            figures = [device.figures[name] for name in card.figures]
            short = [f.have_s < card.need_s for f in figures]
            assert all(short) or not any(short)  # one have per card
            for figure in figures:
                assert (figure.status == INSUFFICIENT) == (figure.have_s < figure.need_s), figure
                assert figure.status in (OK, OUT_OF_BOUNDS) or figure.value is None, figure
                assert figure.status != UNAVAILABLE or figure.reason, figure
    for name, figure in snapshot.figures.items():
        if figure.status == OK:
            assert figure.value is not None and figure.population, figure
        else:
            assert figure.value is None and not figure.population, figure
        if name == "networking_rate":
            continue
        for external_id in figure.population:
            device = snapshot.device(external_id)
            assert device is not None and device.figures[name].status == OK, (name, external_id)


def check_plant_oee(snapshot: EvidenceSnapshot) -> None:
    """Plant OEE = A × P × Q over one population; utilisation derivable from the device values shown."""
    card = [snapshot.figures[n] for n in ("availability", "performance", "quality", "oee", "teep")]
    assert len({(f.status, f.population) for f in card}) == 1
    a, p, q, oee, _ = card
    if oee.status == OK:
        assert oee.value == a.value * p.value * q.value  # type: ignore[operator]
        if snapshot.oee_basis == "bottleneck":
            assert len(oee.population) == 1 and snapshot.device(oee.population[0]).bottleneck  # type: ignore[union-attr]
    utilisation = snapshot.figures["utilisation"]
    if utilisation.status == OK:
        shown = [snapshot.device(i) for i in utilisation.population]
        known = sum((d.known_s for d in shown), Fraction(0))  # type: ignore[union-attr]
        derived = sum((d.figures["utilisation"].value * d.known_s for d in shown), Fraction(0)) / known  # type: ignore[union-attr, operator]
        assert utilisation.value == derived


def check_unknown_apart(snapshot: EvidenceSnapshot) -> None:
    """Unknown time is its own category: never downtime, never claimed by a reason code."""
    for d in snapshot.devices:
        assert "UNKNOWN" not in d.downtime_by_state
        assert 0 <= d.unknown_planned_s <= d.planned_s
        assert sum(d.downtime_by_reason.values(), Fraction(0)) == d.known_planned_s - d.run_s >= 0
        assert sum(d.downtime_by_state.values(), Fraction(0)) == d.known_planned_s - d.run_s
        assert d.known_s == d.observed_s - d.by_state["UNKNOWN"]


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants.plants())
def test_random_plants(plant: plants.Plant) -> None:
    snapshot = evidence_snapshot(plants.pure_input(plant))
    check_bounds(snapshot)
    check_statuses(snapshot)
    check_plant_oee(snapshot)
    check_unknown_apart(snapshot)
    again = from_dict(to_dict(snapshot))
    assert again == snapshot and sha256(again) == sha256(snapshot)
