"""Each anomaly kind planted in generated clean records is found; clean records raise no flag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from scoring.supervision import DiagnosisRecord, detect, load_rules, raw_rules, train
from scoring.supervision.rules import KINDS, identical_partial
from scoring.supervision.synthetic import (
    generate_clean,
    inject_claim_contradicted,
    inject_duplicate_answers,
    inject_duplicate_report,
    inject_heavy_tailoring,
    inject_score_mismatch,
    inject_short_delivery,
    inject_visit_without_telemetry,
)

# The whole module on one xdist worker: its model is trained once, not on each worker it would spread to.
pytestmark = pytest.mark.xdist_group("anomaly-rules")

Injector = Callable[[list[DiagnosisRecord], int], set[tuple[int, str]]]


def _partial(record: DiagnosisRecord) -> int:
    return identical_partial(record, record)


def _copy_answers(records: list[DiagnosisRecord], index: int) -> set[tuple[int, str]]:
    # A source with several partial ratings: an all-0 or all-1 questionnaire cannot be told from a copy.
    source = next(i for i, r in enumerate(records) if i != index and _partial(r) >= 8)
    return inject_duplicate_answers(records, index, source)


def _copy_report(records: list[DiagnosisRecord], index: int) -> set[tuple[int, str]]:
    return inject_duplicate_report(records, index, (index + 7) % len(records))


INJECTORS: dict[str, Injector] = {
    "claim_contradicted": inject_claim_contradicted,
    "visit_without_telemetry": inject_visit_without_telemetry,
    "short_delivery": inject_short_delivery,
    "duplicate_answers": _copy_answers,
    "duplicate_report": _copy_report,
    "score_mismatch": inject_score_mismatch,
    "heavy_tailoring": inject_heavy_tailoring,
}


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return train(generate_clean(500, seed=101), random_state=0)


def test_every_kind_has_an_injector() -> None:
    assert set(INJECTORS) == set(KINDS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_records_raise_no_flag(seed: int, model) -> None:  # type: ignore[no-untyped-def]
    records = generate_clean(200, seed=seed, first_id=1000)
    assert detect(records, model=model) == []


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("kind", KINDS)
def test_planted_anomaly_is_found(kind: str, seed: int, model) -> None:  # type: ignore[no-untyped-def]
    records = generate_clean(120, seed=seed, first_id=1000)
    planted = INJECTORS[kind](records, 40)
    found = {(f.order_id, f.kind) for f in detect(records, model=model)}
    assert planted <= found


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "score_mismatch"])
def test_rules_flag_only_the_planted_orders(kind: str, seed: int) -> None:
    # The rules are specific, not merely sensitive (the model's false-positive rate is in the bench).
    records = generate_clean(120, seed=seed, first_id=1000)
    planted = INJECTORS[kind](records, 40)
    assert {(f.order_id, f.kind) for f in detect(records) if f.kind == kind} == planted


def test_flag_carries_evidence_and_source() -> None:
    records = generate_clean(50, seed=5)
    inject_claim_contradicted(records, 3)
    (flag,) = [f for f in detect(records) if f.kind == "claim_contradicted"]
    assert flag.evidence["devices_seen"] < flag.evidence["production_devices"] / 5
    assert {c["requirement"] for c in flag.evidence["contradictions"]} >= {"NW-L2-01", "NW-L3-01"}
    assert "evidence_rules.json" in flag.source


def test_a_coverage_contradiction_cites_the_coverage_rule() -> None:
    # Networking as claimed, coverage far below the claim: the flag cites EV-DT2-COV, not the networking rule.
    (record,) = generate_clean(1, seed=5)
    answers = (*((rid, r) for rid, r in record.answers if rid != "DT-L2-01"), ("DT-L2-01", "1"))
    record = replace(
        record,
        answers=answers,
        evidence=replace(record.evidence, networking_rate=0.9, coverage=0.1),
    )
    (flag,) = [f for f in detect([record]) if f.kind == "claim_contradicted"]
    assert [c["requirement"] for c in flag.evidence["contradictions"]] == ["DT-L2-01"]
    assert "EV-DT2-COV" in flag.source and "EV-NW" not in flag.source


def test_copy_flags_name_the_other_order() -> None:
    records = generate_clean(60, seed=8)
    planted = inject_duplicate_report(records, 10, 20)
    flags = {f.order_id: f for f in detect(records) if f.kind == "duplicate_report"}
    assert set(flags) == {order for order, _ in planted}
    assert flags[records[10].order_id].evidence["similar_orders"] == [records[20].order_id]


def test_repeat_diagnosis_of_one_enterprise_is_not_a_copy() -> None:
    records = generate_clean(40, seed=9)
    inject_duplicate_report(records, 10, 20)
    records[10] = replace(records[10], enterprise_id=records[20].enterprise_id)
    assert [f for f in detect(records) if f.kind == "duplicate_report"] == []


def test_every_rule_record_names_its_source() -> None:
    raw = raw_rules()
    assert raw["source"]
    assert all(c["source"] for c in raw["claims"])
    for key in (
        "visit_window_days",
        "min_delivery_days",
        "duplicate_answers",
        "duplicate_reports",
        "score_mismatch",
    ):
        assert raw[key]["source"], key
    assert load_rules().version == raw["version"]


def test_a_figure_the_snapshot_cannot_state_contradicts_no_claim() -> None:
    """Issue #22: supervision reads the scoring's evidence snapshot. Coverage that is 数据不足 (None there) is no
    data, not 0 %: claiming full data capture is not contradicted by it; a measured 10 % is."""
    from scoring.supervision.rules import CLAIM_CONTRADICTED, claims_contradicted

    record = generate_clean(1, seed=3)[0]
    claims = tuple(
        (rid, "1" if rid in ("DT-L2-01", "DT-L3-01") else rating) for rid, rating in record.answers
    )
    short = replace(
        record, answers=claims, evidence=replace(record.evidence, coverage=None, networking_rate=None)
    )
    assert claims_contradicted(short, load_rules()) == []
    low = replace(short, evidence=replace(short.evidence, coverage=0.1))
    assert [f.kind for f in claims_contradicted(low, load_rules())] == [CLAIM_CONTRADICTED]
