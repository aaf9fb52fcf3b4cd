"""Answers of the SME index proposed from measured figures: the band, stage, grade or change each figure
proposes, with its evidence; and the figures read off a real evidence snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from scoring.china_time import CHINA_TZ
from scoring.indicators import CounterSample, StateSample, Window
from scoring.indicators.atoms import DeviceInput, EnergySample, RawPart
from scoring.indicators.snapshot import LedgerLine, SnapshotInput, evidence_snapshot
from scoring.indicators.snapshot_json import from_dict, to_dict
from scoring.sme import load_index, score_answers
from scoring.sme.proposals import (
    MeasuredFigures,
    load_proposal_rules,
    measured_from_snapshot,
    propose_all,
    propose_data_capture,
    propose_digitalisation,
    propose_energy_change,
    propose_energy_scenario,
    propose_equipment_scenario,
    propose_networking,
    propose_pass_rate_change,
)

F = Fraction


@pytest.mark.parametrize(
    ("rate", "option"),
    [
        (F(0), "le10"),
        (F(1, 10), "le10"),
        (F(11, 100), "le20"),
        (F(1, 5), "le20"),
        (F(3, 10), "le40"),
        (F(2, 5), "le40"),
        (F(3, 5), "le60"),
        (F(61, 100), "gt60"),
        (F(1), "gt60"),
    ],
)
def test_rates_fall_in_the_index_bands_upper_limit_included(rate: Fraction, option: str) -> None:
    assert propose_networking(rate).value == option
    assert propose_digitalisation(rate).value == option


def test_networking_proposal_states_its_evidence() -> None:
    p = propose_networking(F(9, 20), networked=9, production=20)
    assert (p.target, p.kind, p.value) == ("F3", "item", "le60")
    assert p.evidence_zh == "设备联网率 45%（台账 20 台生产设备中 9 台联网），落在“40%以上至60%”档。"
    none = propose_networking(None)
    assert none.value is None and "无设备台账" in none.evidence_zh
    with pytest.raises(ValueError, match="between 0 and 1"):
        propose_networking(F(6, 5))


def test_data_capture_proposes_the_stages_it_sees_and_leaves_the_rest() -> None:
    p = propose_data_capture({"energy", "state", "counts", "alarm"})
    assert (p.target, p.partial) == ("F4", True)
    assert p.value == ("production_control", "equipment", "energy")  # index order, each once
    assert "设备管理（设备告警、设备运行状态）" in p.evidence_zh
    assert "其余环节" in p.evidence_zh
    assert propose_data_capture([]).value == ()
    assert p.to_dict()["value"] == ["production_control", "equipment", "energy"]
    assert p.to_dict()["partial"] is True
    with pytest.raises(ValueError, match="unknown data kind\\(s\\) video; allowed: state"):
        propose_data_capture(["video"])


def test_every_data_kind_names_a_stage_of_item_f4() -> None:
    stages = load_index().item("F4")
    assert stages is not None
    assert {k.stage for k in load_proposal_rules().data_kinds} <= set(stages.option_ids)


def test_energy_scenario_grades() -> None:
    assert propose_energy_scenario(0, 10, None).value is None
    two = propose_energy_scenario(3, 10, F(12, 10))
    assert two.value == 2 and "3 台设备计量能耗，占台账生产设备 30%" in two.evidence_zh
    three = propose_energy_scenario(8, 10, F(12, 10))
    assert three.value == 3 and "协同管控优化由顾问核实" in three.evidence_zh
    assert propose_energy_scenario(10, 10, None).value == 2  # no energy per unit: no 三级


def test_equipment_scenario_needs_networking_and_oee() -> None:
    assert propose_equipment_scenario(F(9, 10), 0, F(6, 10)).value is None
    low = propose_equipment_scenario(F(1, 2), 5, F(6, 10))
    assert low.value is None and "设备联网率不足 60%" in low.evidence_zh
    no_oee = propose_equipment_scenario(F(9, 10), 9, None)
    assert no_oee.value is None and "OEE）数据不足" in no_oee.evidence_zh
    yes = propose_equipment_scenario(F(3, 5), 6, F(65, 100))
    assert yes.value == 3 and "以正式文件为准" in yes.evidence_zh


@pytest.mark.parametrize(
    ("before", "after", "option"),
    [
        (F(2), F(18, 10), "down"),  # −10 %
        (F(2), F(2), "flat"),
        (F(2), F(204, 100), "flat"),  # +2 %: within the tolerance
        (F(2), F(205, 100), "up"),  # +2.5 %
        (F(2), F(196, 100), "flat"),  # −2 %
    ],
)
def test_energy_change(before: Fraction, after: Fraction, option: str) -> None:
    p = propose_energy_change(before, after, "2026-01", "2026-06")
    assert (p.target, p.value) == ("R1", option)
    assert "（改造前 2026-01，改造后 2026-06）" in p.evidence_zh


def test_energy_change_evidence_and_missing_windows() -> None:
    p = propose_energy_change(F(2), F(18, 10))
    assert p.evidence_zh.startswith("单位产品能耗由 2 变为 1.8 kWh/件，变化 -10%，建议“降低”")
    assert propose_energy_change(None, F(2)).value is None
    assert propose_energy_change(F(0), F(2)).value is None
    with pytest.raises(ValueError, match="negative"):
        propose_energy_change(F(-1), F(2))


@pytest.mark.parametrize(
    ("before", "after", "option"),
    [
        (F(95, 100), F(97, 100), "up"),
        (F(95, 100), F(951, 1000), "flat"),
        (F(95, 100), F(952, 1000), "flat"),
        (F(95, 100), F(947, 1000), "down"),
    ],
)
def test_pass_rate_change(before: Fraction, after: Fraction, option: str) -> None:
    assert propose_pass_rate_change(before, after).value == option


def test_pass_rate_evidence_and_range() -> None:
    p = propose_pass_rate_change(F(95, 100), F(97, 100))
    assert p.evidence_zh == "产品合格率由 95% 变为 97%，变化 +2 个百分点，建议“增加”。"
    with pytest.raises(ValueError, match="between 0 and 1"):
        propose_pass_rate_change(F(95), F(97))


def test_proposals_are_answers_the_scoring_accepts() -> None:
    before = MeasuredFigures(window_label="2026-01", energy_per_unit_kwh=F(2), pass_rate=F(95, 100))
    after = MeasuredFigures(
        window_label="2026-06",
        production_devices=10,
        networked_devices=7,
        networking_rate=F(7, 10),
        digital_devices=8,
        data_kinds=frozenset({"state", "counts", "quality", "energy"}),
        state_devices=7,
        metered_devices=9,
        energy_per_unit_kwh=F(17, 10),
        pass_rate=F(97, 100),
        oee=F(62, 100),
    )
    proposals = {p.target: p for p in propose_all(after, before)}
    assert {k: p.value for k, p in proposals.items()} == {
        "F2": "gt60",
        "F3": "gt60",
        "F4": ("production_control", "quality", "equipment", "energy"),
        "R1": "down",
        "R2": "up",
        "equipment": 3,
        "energy": 3,
    }
    # fill the rest as a consultant would and score: the proposed answers are valid answers
    idx = load_index()
    items: dict[str, object] = {i.id: ([] if i.kind == "multi" else i.options[0].id) for i in idx.items}
    scenarios: dict[str, object] = {s.id: 0 for s in idx.scenarios}
    for p in proposals.values():
        value = list(p.value) if isinstance(p.value, tuple) else p.value
        (items if p.kind == "item" else scenarios)[p.target] = value
    result = score_answers({"items": items, "scenarios": scenarios})
    points = {i.id: i.points for i in result.items}
    assert (points["F2"], points["F3"], points["F4"], points["R1"], points["R2"]) == (6, 6, F(20, 7), 7, 7)


def _snapshot() -> SnapshotInput:
    start = datetime(2026, 3, 2, tzinfo=CHINA_TZ).astimezone(UTC)
    window = Window(start, start + timedelta(days=2))
    end = window.end
    every_5_min = tuple(start + timedelta(minutes=5 * i) for i in range(576))  # within the silence timeout
    metered = DeviceInput(
        external_id="cnc-1",
        ideal_cycle_s=F(60),
        observed=window,
        raw=(
            RawPart(
                window=window,
                states=tuple(StateSample(t, "RUN") for t in every_5_min),
                counters=(
                    CounterSample(start, 1, 0, 0),
                    CounterSample(end - timedelta(seconds=1), 2, 2000, 1960),
                ),
                energy=(EnergySample(start, 0), EnergySample(end - timedelta(seconds=1), 392)),
                heard=every_5_min,
            ),
        ),
    )
    state_only = DeviceInput(
        external_id="press-2",
        observed=window,
        raw=(
            RawPart(
                window=window,
                states=tuple(StateSample(t, "IDLE") for t in every_5_min),
                heard=every_5_min,
            ),
        ),
    )
    ledger = (
        LedgerLine("E1", "CNC", connected=True, device_external_id="cnc-1", digital=True),
        LedgerLine("E2", "Press", connected=True, device_external_id="press-2", digital=True),
        LedgerLine("E3", "Lathe", connected=True, digital=True),
        LedgerLine("E4", "Saw", digital=False),
        LedgerLine("E5", "Compressor", production=False),  # not production: not asked
    )
    return SnapshotInput(window=window, devices=(metered, state_only), ledger=ledger)


def test_figures_read_off_a_real_evidence_snapshot() -> None:
    snap = evidence_snapshot(_snapshot())
    m = measured_from_snapshot(snap)
    assert m.digital_devices == 3  # of the 4 production lines; the compressor does not count
    assert (m.production_devices, m.networked_devices, m.networking_rate) == (4, 3, F(3, 4))
    assert m.data_kinds == {"state", "counts", "quality", "energy"}
    assert (m.state_devices, m.metered_devices) == (2, 1)
    assert m.energy_per_unit_kwh == F(392, 1960)
    assert m.pass_rate == F(1960, 2000)
    assert m.window_label == "2026-03-02至2026-03-03"
    assert m.oee is not None and m.oee == snap.figures["oee"].value
    proposals = {p.target: p.value for p in propose_all(m)}
    assert proposals["F3"] == "gt60"
    assert proposals["F2"] == "gt60"  # 3 of 4
    assert proposals["F4"] == ("production_control", "quality", "equipment", "energy")
    assert proposals["energy"] == 2  # 1 of 4 production devices metered: below the 三级 share
    assert proposals["equipment"] == 3  # 75 % networked, OEE measured


def test_the_digitalisation_rate_waits_for_every_production_line_to_say() -> None:
    """One production line not stated: the rate is unknown (no proposal, the reason said), never lower."""
    base = _snapshot()
    unstated = (*base.ledger[:3], LedgerLine("E4", "Saw"), base.ledger[4])
    m = measured_from_snapshot(evidence_snapshot(replace(base, ledger=unstated)))
    assert m.digital_devices is None
    f2 = next(p for p in propose_all(m) if p.target == "F2")
    assert f2.value is None and "未逐台标明" in f2.evidence_zh
    # All stated, none digital: a rate of 0, the lowest band, not 数据不足.
    none_digital = tuple(replace(line, digital=False) for line in base.ledger)
    m = measured_from_snapshot(evidence_snapshot(replace(base, ledger=none_digital)))
    assert m.digital_devices == 0
    assert next(p for p in propose_all(m) if p.target == "F2").value == "le10"


def test_the_stored_snapshot_keeps_what_the_ledger_says_and_reads_older_ones() -> None:
    snap = evidence_snapshot(_snapshot())
    stored = to_dict(snap)
    assert stored["ledger"][0][-1] is True and len(stored["ledger"][4]) == 5  # not stated: the old form
    assert from_dict(stored).ledger == snap.ledger
    older = {**stored, "ledger": [line[:5] for line in stored["ledger"]]}  # stored before #26
    assert all(line.digital is None for line in from_dict(older).ledger)
