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
    shortfalls,
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


def test_too_little_planned_time_proposes_nothing_and_says_so() -> None:
    # Issue #11: below a rule's minimum no rating is proposed (was: capped at 0.5).
    short = MeasuredEvidence(oee=0.8, window_days=3, planned_hours=16)
    got = by_req(propose_ratings(short, MODEL))
    assert "EM-L3-01" not in got and "EM-L4-02" not in got
    missing = {s.requirement_id: s for s in shortfalls(short, MODEL)}
    assert missing["EM-L3-01"].reason == "insufficient"
    assert missing["EM-L3-01"].message_zh.startswith("数据不足：已采集 16 小时，需 24 小时")
    assert missing["EM-L4-02"].need_hours == 160
    enough = by_req(propose_ratings(MeasuredEvidence(oee=0.8, window_days=30, planned_hours=200), MODEL))
    assert enough["EM-L4-02"].proposed == 1 and enough["EM-L3-01"].proposed == 1


def test_flagged_figure_proposes_nothing_and_says_why() -> None:
    evidence = MeasuredEvidence(
        oee=2.1, quality=2.1, planned_hours=400, window_days=30, flags={"oee": ("quality_out_of_bounds",)}
    )
    assert "EM-L4-02" not in by_req(propose_ratings(evidence, MODEL))
    missing = {s.requirement_id: s for s in shortfalls(evidence, MODEL)}
    assert (
        missing["EM-L4-02"].reason == "flagged" and "quality_out_of_bounds" in missing["EM-L4-02"].message_zh
    )


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


def test_one_step_apart_and_tailored_are_not_contradictions() -> None:
    # Issue #11: a contradiction is more than one rating step apart, either way (was: any claim above).
    assessment = Assessment(
        "discrete",
        (Answer("EN-L2-01", Fraction(4, 5)), Answer("EN-L3-01", None, "no energy-intensive process")),
    )
    evidence = MeasuredEvidence(has_energy_metering=True, energy_per_unit_kwh=1.25, window_days=30)
    rec = {r.requirement_id: r for r in reconcile(assessment, propose_ratings(evidence, MODEL))}
    assert not rec["EN-L2-01"].contradiction and rec["EN-L2-01"].final == Fraction(4, 5)
    assert rec["EN-L3-01"].tailored and rec["EN-L3-01"].final is None


def test_underclaim_by_two_steps_is_a_contradiction() -> None:
    assessment = Assessment("discrete", (Answer("EN-L2-01", Fraction(1, 2)),))
    evidence = MeasuredEvidence(has_energy_metering=True, window_days=30)
    rec = {r.requirement_id: r for r in reconcile(assessment, propose_ratings(evidence, MODEL))}
    assert rec["EN-L2-01"].contradiction and rec["EN-L2-01"].final == Fraction(1, 2)


def test_apply_reconciled_feeds_scoring() -> None:
    assessment = Assessment("discrete", ())
    evidence = MeasuredEvidence(devices_total=10, devices_networked=9, coverage=0.9, window_days=30)
    updated = apply_reconciled(assessment, reconcile(assessment, propose_ratings(evidence, MODEL)))
    assert updated.answer("NW-L3-01").rating == 1
    assert score(updated, MODEL).level_scores[2] > score(assessment, MODEL).level_scores[2]
