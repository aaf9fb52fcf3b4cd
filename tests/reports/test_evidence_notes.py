"""The report's measured-evidence wording: Chinese indicator names, and 数据不足 only when no OEE rule could
use the data."""

from __future__ import annotations

from reports import evidence_notes

SHORT = {"indicator": "oee", "need_hours": 160, "message_zh": "数据不足：已采集 121.8 小时，需 160 小时"}


def _reconciled(*proposals: dict[str, object]) -> list[dict[str, object]]:
    return [{"requirement_id": "EM-L3-01", "claimed": 0.0, "proposed": 1.0, "contradiction": True,
             "proposals": list(proposals)}]  # fmt: skip


def test_the_oee_note_stands_only_when_no_rule_used_oee() -> None:
    assert evidence_notes.oee_note([SHORT]).zh.startswith("数据不足")  # type: ignore[union-attr]
    used = _reconciled({"indicator": "oee", "measured": 0.843, "message": "oee = 84.3% → 1"})
    assert evidence_notes.oee_note([SHORT], used) is None  # the 24-hour rule used it: the figure stands
    other = _reconciled({"indicator": "coverage", "measured": 1.0, "message": "coverage = 100.0% → 1"})
    assert evidence_notes.oee_note([SHORT], other) is not None


def test_contradictions_name_the_indicators_in_chinese() -> None:
    rows = evidence_notes.contradiction_rows(
        _reconciled(
            {
                "indicator": "energy_per_unit_kwh",
                "measured": 0.16,
                "message": "energy_per_unit_kwh = 0.160 kWh",
            },
            {
                "indicator": "networking_rate",
                "measured": 1.0,
                "message": "networking_rate = 100.0% (2/2 devices)",
            },
        )
    )
    assert rows[0].measured == "单位产品能耗 0.160 kWh；设备联网率 100.0%"
    assert not any(c.isascii() and c.isalpha() for c in rows[0].measured.replace("kWh", ""))
