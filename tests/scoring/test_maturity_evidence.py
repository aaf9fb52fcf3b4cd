"""Measured evidence proposes ratings; reconcile keeps claim and proposal and flags contradictions."""

from fractions import Fraction

import pytest

from scoring.maturity import (
    Answer,
    Assessment,
    MeasuredEvidence,
    apply_reconciled,
    load_model,
    propose_ratings,
    reconcile,
    score,
)

MODEL = load_model()


def by_req(proposals):
    return {p.requirement_id: p for p in proposals}


@pytest.mark.parametrize(
    ("networked", "total", "expected_l2", "expected_l3"),
    [(7, 20, "1/2", "0"), (17, 20, "1", "1"), (15, 20, "1", "4/5"), (4, 20, "0", "0")],
)
def test_networking_rate_bands(networked: int, total: int, expected_l2: str, expected_l3: str) -> None:
    got = by_req(propose_ratings(MeasuredEvidence(devices_total=total, devices_networked=networked), MODEL))
    assert got["NW-L2-01"].proposed == Fraction(expected_l2)
    assert got["NW-L3-01"].proposed == Fraction(expected_l3)
    assert f"{networked}/{total} devices" in got["NW-L3-01"].message


def test_no_indicators_no_proposals() -> None:
    assert propose_ratings(MeasuredEvidence(), MODEL) == ()


def test_short_window_caps_oee_proposals() -> None:
    got = by_req(propose_ratings(MeasuredEvidence(oee=0.8, window_days=3), MODEL))
    assert got["EM-L3-01"].proposed == Fraction(1, 2)
    assert got["EM-L4-02"].proposed == Fraction(1, 2)
    assert "capped" in got["EM-L4-02"].message
    long = by_req(propose_ratings(MeasuredEvidence(oee=0.8, window_days=30), MODEL))
    assert long["EM-L4-02"].proposed == 1


def test_overclaim_is_flagged_and_both_values_kept() -> None:
    assessment = Assessment("discrete", (Answer("NW-L3-01", Fraction(1)),))
    evidence = MeasuredEvidence(devices_total=20, devices_networked=7, window_days=30)
    rec = {r.requirement_id: r for r in reconcile(assessment, propose_ratings(evidence, MODEL))}
    nw3 = rec["NW-L3-01"]
    assert nw3.contradiction and nw3.claimed == 1 and nw3.proposed == 0 and nw3.final == 1
    assert "CONTRADICTION" in nw3.message and "35.0%" in nw3.message
    # Unanswered NW-L2-01 takes the proposal as final, without a contradiction.
    assert rec["NW-L2-01"].claimed is None and rec["NW-L2-01"].final == Fraction(1, 2)
    assert not rec["NW-L2-01"].contradiction


def test_underclaim_and_tailored_are_not_contradictions() -> None:
    assessment = Assessment(
        "discrete",
        (Answer("EN-L2-01", Fraction(1, 2)), Answer("EN-L3-01", None, "no energy-intensive process")),
    )
    evidence = MeasuredEvidence(has_energy_metering=True, energy_per_unit_kwh=1.25, window_days=30)
    rec = {r.requirement_id: r for r in reconcile(assessment, propose_ratings(evidence, MODEL))}
    assert not rec["EN-L2-01"].contradiction and rec["EN-L2-01"].final == Fraction(1, 2)
    assert rec["EN-L3-01"].tailored and rec["EN-L3-01"].final is None


def test_apply_reconciled_feeds_scoring() -> None:
    assessment = Assessment("discrete", ())
    evidence = MeasuredEvidence(devices_total=10, devices_networked=9, coverage=0.9, window_days=30)
    updated = apply_reconciled(assessment, reconcile(assessment, propose_ratings(evidence, MODEL)))
    assert updated.answer("NW-L3-01").rating == 1
    assert score(updated, MODEL).level_scores[2] > score(assessment, MODEL).level_scores[2]
