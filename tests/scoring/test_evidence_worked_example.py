"""docs/scoring.md's worked example by hand (tests/cases/evidence/worked_example.json) against the pure evidence
snapshot: every device figure, every plant figure with its population, and plant OEE = A × P × Q."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from scoring.indicators.figures import OK
from scoring.indicators.snapshot import EvidenceSnapshot, evidence_snapshot
from tests import evidence_case

CASE = evidence_case.load("worked_example")


def check(snapshot: EvidenceSnapshot, expected: dict[str, Any]) -> None:
    """The snapshot agrees with the hand-computed figures of the case (shared with the database test)."""
    for external_id, want in expected["devices"].items():
        device = snapshot.device(external_id)
        assert device is not None
        assert device.planned_s == Fraction(want["planned_s"]), external_id
        assert device.unknown_planned_s == Fraction(want["unknown_planned_s"]), external_id
        assert device.run_s == Fraction(want["run_s"]) and device.known_s == Fraction(want["known_s"])
        assert (device.total_count, device.good_count) == (want["total"], want["good"])
        assert dict(device.downtime_by_reason) == {
            k: Fraction(v) for k, v in want["downtime_by_reason"].items()
        }
        assert "UNKNOWN" not in device.downtime_by_state  # unknown time is its own category, never downtime
        for name in ("availability", "performance", "quality", "oee", "utilisation", "coverage"):
            figure = device.figures[name]
            if name in want:
                assert figure.status == OK and figure.value == Fraction(want[name]), (external_id, name)
            else:
                assert figure.status == want["statuses"][name] and figure.value is None, (external_id, name)
    for name, want in expected["plant"].items():
        figure = snapshot.figures[name]
        if "value" in want:
            assert figure.status == OK and figure.value == Fraction(want["value"]), name
            assert list(figure.population) == want["population"], name
        else:
            assert (figure.status, figure.reason) == (want["status"], want["reason"]), name
    plant = snapshot.figures
    # The plant OEE is the product of the plant factors shown beside it, over the same devices.
    assert (
        plant["oee"].value
        == plant["availability"].value * plant["performance"].value * plant["quality"].value
    )  # type: ignore[operator]
    assert {plant[n].population for n in ("availability", "performance", "quality", "oee", "teep")} == {
        ("A", "B")
    }


def test_worked_example_by_hand() -> None:
    snapshot = evidence_snapshot(evidence_case.pure_input(CASE))
    check(snapshot, CASE["expected"])
    assert snapshot.daily and snapshot.daily[0][1].value == Fraction(
        CASE["expected"]["plant"]["oee"]["value"]
    )


def test_the_docs_print_the_cases_numbers() -> None:
    """docs/scoring.md shows the example's figures to the digits the test checks."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "scoring.md").read_text(encoding="utf-8")
    plant = CASE["expected"]["plant"]
    for name, digits in (("oee", 0.773046), ("availability", 0.909091), ("performance", 0.873333)):
        assert float(Fraction(plant[name]["value"])) == pytest.approx(digits, abs=5e-7)
        assert f"{digits:.6f}" in text, name
    stayed = CASE["expected"]["if_unknown_stayed_in_availability"]
    assert f"{float(Fraction(stayed['B_availability'])):.4f}" in text
