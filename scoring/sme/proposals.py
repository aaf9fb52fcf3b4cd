"""Answers of the SME index proposed from measured plant figures, each with its evidence (pure).

The inputs are plain numbers already computed by the evidence snapshot (scoring/indicators/snapshot.py):
`measured_from_snapshot` reads them off an `EvidenceSnapshot`; every `propose_*` function also takes them
directly. A proposal is never an answer: the consultant accepts it or overrides it with a reason.

| function | proposes | from |
|---|---|---|
| `propose_digitalisation` | item F2 设备数字化率 | digitally controlled / production devices of the ledger |
| `propose_networking` | item F3 设备联网率 | networked / production devices of the ledger (`networking_rate`) |
| `propose_data_capture` | item F4 数据采集 环节 (those the platform sees) | which kinds of data arrive |
| `propose_energy_scenario` | scenario 能耗管理 | metered devices, energy per unit |
| `propose_equipment_scenario` | scenario 设备管理 | networking rate, plant OEE |
| `propose_energy_change` | item R1 绿色低碳 | energy per unit, before and after window |
| `propose_pass_rate_change` | item R2 产品质量 | pass rate (quality), before and after window |
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

from scoring.china_time import CHINA_TZ
from scoring.indicators.figures import OK
from scoring.indicators.model import UNKNOWN
from scoring.indicators.snapshot import EvidenceSnapshot
from scoring.sme.engine import fmt
from scoring.sme.model import Item, Points, SmeIndex, load_index


class DataKind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    stage: str
    text_zh: str
    source: str


class ProposalRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    version: str
    about: str
    source: str
    data_kinds: tuple[DataKind, ...]
    energy_per_unit_flat_within: Points
    pass_rate_flat_within: Points
    energy_grade3_min_metered_share: Points
    equipment_grade3_min_networking_rate: Points
    notes: dict[str, str]


@cache
def load_proposal_rules() -> ProposalRules:
    """Load (once) the packaged proposal rules and check their stages are options of item F4."""
    text = resources.files("scoring.sme.data").joinpath("proposals.json").read_text(encoding="utf-8")
    rules = ProposalRules.model_validate(json.loads(text))
    stages = _item(load_index(), "F4").option_ids
    bad = [k.kind for k in rules.data_kinds if k.stage not in stages]
    if bad:
        raise ValueError(f"proposals.json: data kind(s) {', '.join(bad)} name a stage F4 does not have")
    return rules


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed answer: an option id (single item), option ids (multi item) or a grade (scenario).

    `value` is None when the figures do not support a proposal; `evidence_zh` says why either way. `partial`
    marks a multi-item proposal that covers only what the platform can see (the consultant adds the rest).
    """

    target: str  # item id (F2 …) or scenario id (energy …)
    kind: str  # item | scenario
    value: str | tuple[str, ...] | int | None
    evidence_zh: str
    partial: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-able form (a multi item's options as a list)."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {
            "target": self.target,
            "kind": self.kind,
            "value": value,
            "evidence_zh": self.evidence_zh,
            "partial": self.partial,
        }


@dataclass(frozen=True, slots=True)
class MeasuredFigures:
    """The plain figures the proposals read, over one window (as the evidence snapshot computes them)."""

    window_label: str = ""
    production_devices: int = 0
    networked_devices: int = 0
    networking_rate: Fraction | None = None
    digital_devices: int | None = None  # digitally controlled production devices, if the ledger says
    data_kinds: frozenset[str] = frozenset()
    state_devices: int = 0  # devices with a known running state in the window
    metered_devices: int = 0
    energy_per_unit_kwh: Fraction | None = None
    pass_rate: Fraction | None = None
    oee: Fraction | None = None


def _item(index: SmeIndex, item_id: str) -> Item:
    item = index.item(item_id)
    if item is None:
        raise KeyError(item_id)
    return item


def _pct(value: Fraction) -> str:
    return f"{fmt(value * 100)}%"


def _rate(value: Fraction | None, name: str) -> None:
    if value is not None and not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")


def _band_proposal(
    item_id: str, rate: Fraction | None, counted: str, why_none: str, index: SmeIndex | None = None
) -> Proposal:
    item = _item(index or load_index(), item_id)
    _rate(rate, item.name_zh)
    if rate is None:
        return Proposal(item_id, "item", None, f"{why_none}，不提出建议。")
    for i, option in enumerate(item.options):
        band = option.band
        if band is None:
            raise ValueError(f"item {item_id} has no rate bands")
        if (band.above < rate or (i == 0 and rate == band.above)) and rate <= band.upto:
            return Proposal(
                item_id,
                "item",
                option.id,
                f"{item.sub_item_zh}率 {_pct(rate)}（{counted}），落在“{option.text_zh}”档。",
            )
    raise AssertionError("bands cover 0 to 1")  # pragma: no cover (the index validator checks this)


def propose_networking(
    rate: Fraction | None,
    networked: int | None = None,
    production: int | None = None,
    *,
    index: SmeIndex | None = None,
) -> Proposal:
    """F3 设备联网率 from the snapshot's networking_rate (networked / production devices of the ledger)."""
    counted = f"台账 {production} 台生产设备中 {networked} 台联网" if production else "按设备台账计"
    return _band_proposal("F3", rate, counted, "无设备台账或台账中没有生产设备，无法计算设备联网率", index)


def propose_digitalisation(
    rate: Fraction | None,
    digital: int | None = None,
    production: int | None = None,
    *,
    index: SmeIndex | None = None,
) -> Proposal:
    """F2 设备数字化率 from digitally controlled / production devices of the ledger."""
    counted = f"台账 {production} 台生产设备中 {digital} 台具备数字控制" if production else "按设备台账计"
    return _band_proposal(
        "F2", rate, counted, "台账未逐台标明生产设备是否具备数字控制，无法计算设备数字化率", index
    )


def propose_data_capture(kinds: Iterable[str], *, index: SmeIndex | None = None) -> Proposal:
    """F4 数据采集: the 环节 whose data the platform receives automatically (a lower bound: partial)."""
    rules = load_proposal_rules()
    known = {k.kind: k for k in rules.data_kinds}
    seen = sorted(set(kinds))
    unknown = [k for k in seen if k not in known]
    if unknown:
        raise ValueError(f"unknown data kind(s) {', '.join(unknown)}; allowed: {', '.join(known)}")
    item = _item(index or load_index(), "F4")
    stages = {known[k].stage for k in seen}
    chosen = tuple(o.id for o in item.options if o.id in stages)
    if not chosen:
        return Proposal("F4", "item", (), "平台尚未自动收到任何业务数据；其余环节由顾问核实。", partial=True)
    by_stage = [
        f"{o.text_zh}（{'、'.join(known[k].text_zh for k in seen if known[k].stage == o.id)}）"
        for o in item.options
        if o.id in stages
    ]
    return Proposal(
        "F4",
        "item",
        chosen,
        f"平台自动采集到：{'；'.join(by_stage)}；其余环节（如设计、采购、财务）由顾问核实。",
        partial=True,
    )


def propose_energy_scenario(
    metered_devices: int, production_devices: int, energy_per_unit_kwh: Fraction | None
) -> Proposal:
    """能耗管理: 二级 when the platform collects and analyses metered energy, 三级 when nearly all devices are."""
    rules = load_proposal_rules()
    if metered_devices < 0 or production_devices < 0:
        raise ValueError("device counts cannot be negative")
    if metered_devices == 0:
        return Proposal("energy", "scenario", None, "平台未收到能耗计量数据，不提出建议。")
    share = Fraction(metered_devices, production_devices) if production_devices else None
    counted = f"{metered_devices} 台设备计量能耗" + (
        f"，占台账生产设备 {_pct(share)}" if share is not None else ""
    )
    unit = (
        f"，单位产品能耗 {fmt(energy_per_unit_kwh)} kWh/件"
        if energy_per_unit_kwh is not None
        else "，单位产品能耗数据不足"
    )
    if (
        share is not None
        and share >= rules.energy_grade3_min_metered_share
        and energy_per_unit_kwh is not None
    ):
        return Proposal(
            "energy",
            "scenario",
            3,
            f"{counted}{unit}：设备能耗实时采集并统计分析，建议三级；与相关部门协同管控优化由顾问核实。",
        )
    return Proposal("energy", "scenario", 2, f"{counted}{unit}：能耗数据由系统收集并统计分析，建议二级。")


def propose_equipment_scenario(
    networking_rate: Fraction | None, state_devices: int, oee: Fraction | None
) -> Proposal:
    """设备管理: 三级 when most production devices stream their state and the plant OEE is measured."""
    rules = load_proposal_rules()
    _rate(networking_rate, "networking_rate")
    _rate(oee, "oee")
    if state_devices <= 0:
        return Proposal("equipment", "scenario", None, "平台未收到设备运行状态数据，不提出建议。")
    if networking_rate is None or networking_rate < rules.equipment_grade3_min_networking_rate or oee is None:
        missing = (
            "设备综合效率（OEE）数据不足"
            if oee is None
            else f"设备联网率不足 {_pct(rules.equipment_grade3_min_networking_rate)}"
        )
        return Proposal(
            "equipment",
            "scenario",
            None,
            f"{state_devices} 台设备实时上报运行状态，但{missing}，不提出三级建议；一级、二级（台账、点巡检、维护计划）由顾问核实。",
        )
    return Proposal(
        "equipment",
        "scenario",
        3,
        f"{state_devices} 台设备实时上报运行状态，设备联网率 {_pct(networking_rate)}，设备综合效率（OEE）"
        f"{_pct(oee)}：关键运行数据实时采集并统计OEE，建议三级；本场景三、四级表述以正式文件为准。",
    )


def _windows(before_label: str, after_label: str) -> str:
    return f"（改造前 {before_label}，改造后 {after_label}）" if before_label and after_label else ""


def propose_energy_change(
    before: Fraction | None,
    after: Fraction | None,
    before_label: str = "",
    after_label: str = "",
    *,
    index: SmeIndex | None = None,
) -> Proposal:
    """R1 绿色低碳 from energy per good part over a before and an after window (lower is better)."""
    rules = load_proposal_rules()
    for value in (before, after):
        if value is not None and value < 0:
            raise ValueError(f"energy per unit cannot be negative, got {value}")
    if before is None or after is None or before == 0:
        return Proposal("R1", "item", None, "缺少改造前或改造后的单位产品能耗，不提出建议。")
    change = (after - before) / before
    option = "flat" if abs(change) <= rules.energy_per_unit_flat_within else "down" if change < 0 else "up"
    text = _item(index or load_index(), "R1").option(option)
    if text is None:  # a corrected index without this option: the consultant answers
        return Proposal("R1", "item", None, f"评测指标中没有“{option}”选项，不提出建议。")
    return Proposal(
        "R1",
        "item",
        option,
        f"单位产品能耗由 {fmt(before)} 变为 {fmt(after)} kWh/件{_windows(before_label, after_label)}，"
        f"变化 {'+' if change > 0 else ''}{_pct(change)}，建议“{text.text_zh}”；"
        "以单位产品能耗代替每百元营收综合能耗，假定产品结构与价格不变，由顾问核实。",
    )


def propose_pass_rate_change(
    before: Fraction | None,
    after: Fraction | None,
    before_label: str = "",
    after_label: str = "",
    *,
    index: SmeIndex | None = None,
) -> Proposal:
    """R2 产品质量 from the pass rate (good / total) over a before and an after window."""
    rules = load_proposal_rules()
    _rate(before, "pass rate before")
    _rate(after, "pass rate after")
    if before is None or after is None:
        return Proposal("R2", "item", None, "缺少改造前或改造后的产品合格率，不提出建议。")
    diff = after - before
    option = "flat" if abs(diff) <= rules.pass_rate_flat_within else "up" if diff > 0 else "down"
    text = _item(index or load_index(), "R2").option(option)
    if text is None:  # a corrected index without this option: the consultant answers
        return Proposal("R2", "item", None, f"评测指标中没有“{option}”选项，不提出建议。")
    return Proposal(
        "R2",
        "item",
        option,
        f"产品合格率由 {_pct(before)} 变为 {_pct(after)}{_windows(before_label, after_label)}，"
        f"变化 {'+' if diff > 0 else ''}{fmt(diff * 100)} 个百分点，建议“{text.text_zh}”。",
    )


def propose_all(
    after: MeasuredFigures, before: MeasuredFigures | None = None, *, index: SmeIndex | None = None
) -> tuple[Proposal, ...]:
    """Every proposal the figures support (value None where they do not), in index order, against `index`
    (default: the packaged version)."""
    digital_rate = (
        Fraction(after.digital_devices, after.production_devices)
        if after.digital_devices is not None and after.production_devices
        else None
    )
    idx = index or load_index()

    def banded(item_id: str) -> bool:  # a corrected index may drop an item or its rate bands: no proposal
        item = idx.item(item_id)
        return item is not None and all(o.band is not None for o in item.options)

    out = []
    if banded("F2"):
        out.append(
            propose_digitalisation(digital_rate, after.digital_devices, after.production_devices, index=idx)
        )
    if banded("F3"):
        out.append(
            propose_networking(
                after.networking_rate, after.networked_devices, after.production_devices, index=idx
            )
        )
    if idx.item("F4") is not None:
        out.append(propose_data_capture(after.data_kinds, index=idx))
    if before is not None and idx.item("R1") is not None:
        out.append(
            propose_energy_change(
                before.energy_per_unit_kwh,
                after.energy_per_unit_kwh,
                before.window_label,
                after.window_label,
                index=idx,
            )
        )
    if before is not None and idx.item("R2") is not None:
        out.append(
            propose_pass_rate_change(
                before.pass_rate, after.pass_rate, before.window_label, after.window_label, index=idx
            )
        )
    out.append(propose_equipment_scenario(after.networking_rate, after.state_devices, after.oee))
    out.append(
        propose_energy_scenario(after.metered_devices, after.production_devices, after.energy_per_unit_kwh)
    )
    return tuple(p for p in out if idx.item(p.target) is not None or idx.scenario(p.target) is not None)


def measured_from_snapshot(snap: EvidenceSnapshot) -> MeasuredFigures:
    """The figures the proposals read, off one evidence snapshot (only figures whose status is ok). The
    digitally controlled production devices are counted only when every production line of the ledger says
    whether it is (one line not stated and the rate is unknown, not lower)."""

    def ok(name: str) -> Fraction | None:
        figure = snap.figures.get(name)
        return figure.value if figure is not None and figure.status == OK else None

    production = [line for line in snap.ledger if line.production]
    kinds: set[str] = set()
    state_devices = sum(1 for d in snap.devices if any(v for k, v in d.by_state.items() if k != UNKNOWN))
    if state_devices:
        kinds.add("state")
    if any(d.total_count for d in snap.devices):
        kinds.add("counts")
    if (
        any(d.total_count and d.good_count != d.total_count for d in snap.devices)
        or ok("quality") is not None
    ):
        kinds.add("quality")
    if any(d.metered for d in snap.devices):
        kinds.add("energy")
    start = snap.window.start.astimezone(CHINA_TZ).date().isoformat()
    end = (
        (snap.window.end - timedelta(microseconds=1)).astimezone(CHINA_TZ).date().isoformat()
    )  # [start, end)
    return MeasuredFigures(
        window_label=f"{start}至{end}",
        production_devices=len(production),
        networked_devices=sum(1 for line in production if line.connected or line.device_external_id),
        networking_rate=ok("networking_rate"),
        digital_devices=(
            sum(1 for line in production if line.digital)
            if production and all(line.digital is not None for line in production)
            else None
        ),
        data_kinds=frozenset(kinds),
        state_devices=state_devices,
        metered_devices=sum(1 for d in snap.devices if d.metered),
        energy_per_unit_kwh=ok("energy_per_unit_kwh"),
        pass_rate=ok("quality"),
        oee=ok("oee"),
    )
