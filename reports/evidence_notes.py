"""Issue #11's additions to the report, kept apart from its layout: OEE and TEEP named, 数据不足 instead of
0 %, and the 自评与实测不一致 table. Only sufficient, in-bounds data may say 一致."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reports.data import FigureRow, Text
from reports.sections import pct

RATING_ZH = {1.0: "全部满足", 0.8: "大部分满足", 0.5: "部分满足", 0.0: "不满足"}


@dataclass(frozen=True)
class ContradictionRow:
    """A requirement where the self-rating and the measured data lie more than one rating step apart."""

    requirement_id: str
    claimed: float
    proposed: float
    measured: str  # the indicator and its value as measured


def contradiction_rows(reconciled: Iterable[Mapping[str, Any]]) -> tuple[ContradictionRow, ...]:
    """The 自评与实测不一致 table's rows (stored Result.detail["reconciled"])."""
    rows = []
    for r in reconciled:
        if not r.get("contradiction") or r.get("claimed") is None:
            continue
        measured = "；".join(measured_zh(p) for p in r.get("proposals", []))
        rows.append(
            ContradictionRow(r["requirement_id"], float(r["claimed"]), float(r["proposed"]), measured)
        )
    return tuple(sorted(rows, key=lambda row: row.requirement_id))


INDICATOR_ZH = {
    "networking_rate": "设备联网率",
    "coverage": "数据采集覆盖率",
    "availability": "时间开动率",
    "performance": "性能开动率",
    "quality": "合格品率",
    "oee": "设备综合效率（OEE）",
    "utilisation": "设备利用率",
    "energy_per_unit_kwh": "单位产品能耗",
    "has_energy_metering": "能耗计量",
}


def measured_zh(proposal: Mapping[str, Any]) -> str:
    """A proposal's measured value as the report says it: 数据采集覆盖率 100.0%, 单位产品能耗 0.160 kWh."""
    indicator = str(proposal.get("indicator", ""))
    value = proposal.get("measured")
    name = INDICATOR_ZH.get(indicator, "实测指标")
    if isinstance(value, bool):
        return f"{name}：{'有' if value else '无'}"
    if not isinstance(value, int | float):
        return name
    if indicator == "energy_per_unit_kwh":
        return f"{name} {value:.3f} kWh"
    return f"{name} {value * 100:.1f}%"


def rating_zh(value: float) -> str:
    """A rating as the report names it."""
    return RATING_ZH.get(round(value, 2), f"{value:g}")


def oee_note(
    shortfalls: Iterable[Mapping[str, Any]], reconciled: Iterable[Mapping[str, Any]] = ()
) -> Text | None:
    """数据不足 (or flagged) for OEE when no OEE rule could use the data: the least demanding rule's reason.
    When some OEE rule did use it (a proposal rests on OEE), the figure stands and there is no note."""
    if any(p.get("indicator") == "oee" for r in reconciled for p in r.get("proposals", [])):
        return None
    rows = [s for s in shortfalls if s.get("indicator") == "oee"]
    if not rows:
        return None
    least = min(rows, key=lambda s: float(s.get("need_hours", 0)))
    return Text(str(least["message_zh"]), str(least.get("message_en", least["message_zh"])))


def measured_sentence(
    networking_rate: float | None,
    coverage: float | None,
    oee: float | None,
    teep: float | None,
    note: Text | None,
    contradictions: int,
    checked: int,
) -> Text:
    """The findings' sentence on the measured data; says 一致 only when some sufficient data was checked."""
    oee_zh = note.zh if note else f"OEE（按计划生产时间）{pct(oee)}，TEEP（按日历时间）{pct(teep)}"
    oee_en = note.en if note else f"OEE (over planned time) {pct(oee)}, TEEP (over calendar time) {pct(teep)}"
    if contradictions:
        verdict = Text(
            f"{contradictions} 项自评与实测相差一档以上，诊断人员已逐项核对，见 3.3 自评与实测核对。",
            f"{contradictions} self-ratings differ from the data by more than one step; the assessors decided each (see 3.3).",
        )
    elif checked:
        verdict = Text(
            "有足够实测数据的要求项，自评与实测一致。",
            "Where the data suffice, they agree with the self-assessment.",
        )
    else:
        verdict = Text(
            "实测数据不足，未能核对自评。", "Too little measured data to check the self-assessment."
        )
    return Text(
        f"设备联网率 {pct(networking_rate)}，数据采集覆盖率 {pct(coverage)}，{oee_zh}；{verdict.zh}",
        f"Device networking rate {pct(networking_rate)}, data-capture coverage {pct(coverage)}, {oee_en}; "
        f"{verdict.en}",
    )


def measured_sentence_of(figures: Iterable[FigureRow], contradictions: int, checked: int) -> Text:
    """The findings' sentence on the measured data, each figure as the snapshot states it (数据不足 with its
    hours where it is short, never a number); says 一致 only when some sufficient data was checked."""
    shown = {f.name: f for f in figures}
    parts_zh, parts_en = [], []
    for name in ("networking_rate", "coverage", "oee", "teep"):
        figure = shown.get(name)
        if figure is None:
            continue
        sep = " " if figure.status == "ok" else "："
        parts_zh.append(f"{figure.label.zh}{sep}{figure.text.zh}")
        parts_en.append(f"{figure.label.en} {figure.text.en}")
    if contradictions:
        verdict = Text(
            f"{contradictions} 项自评与实测相差一档以上，诊断人员已逐项核对，见 3.3 自评与实测核对。",
            f"{contradictions} self-ratings differ from the data by more than one step; the assessors decided each (see 3.3).",
        )
    elif checked:
        verdict = Text(
            "有足够实测数据的要求项，自评与实测一致。",
            "Where the data suffice, they agree with the self-assessment.",
        )
    else:
        verdict = Text(
            "实测数据不足，未能核对自评。", "Too little measured data to check the self-assessment."
        )
    return Text("，".join(parts_zh) + f"；{verdict.zh}", ", ".join(parts_en) + f"; {verdict.en}")
