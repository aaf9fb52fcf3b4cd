"""A measured figure with what it rests on (value, population, observed and required time, status), the one
minimum-data rule per card (data/figure_rules.json), and the words every page, report and API use for it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources

OK = "ok"
INSUFFICIENT = "insufficient"  # 数据不足: less data than the card's minimum
OUT_OF_BOUNDS = "out_of_bounds"  # 越界: physically implausible, kept and shown, never pooled or rated
UNAVAILABLE = "unavailable"  # nothing to compute it from (no ledger, no counts, no ideal cycle time, …)
STATUSES = (OK, INSUFFICIENT, OUT_OF_BOUNDS, UNAVAILABLE)
STATUS_ZH = {OK: "正常", INSUFFICIENT: "数据不足", OUT_OF_BOUNDS: "越界", UNAVAILABLE: "无数据"}
BASIS_ZH = {"observed": "实测时间", "known": "已知状态时间", "known_planned": "已知状态的计划生产时间"}
BASIS_EN = {
    "observed": "observed time",
    "known": "time of known state",
    "known_planned": "planned time of known state",
}
REASON_ZH = {
    "no_ledger": "未录入设备台账",
    "no_production_lines": "设备台账中没有生产设备",
    "no_devices": "没有联网设备",
    "no_cycle_time": "未设定理想节拍",
    "no_counts": "没有产量计数",
    "no_run": "没有运行时间",
    "nothing_planned": "没有计划生产时间",
    "no_state": "没有已知状态",
    "no_energy": "没有能耗计量",
    "no_good_parts": "没有合格品",
}
REASON_EN = {
    "no_ledger": "no equipment ledger",
    "no_production_lines": "no production equipment in the ledger",
    "no_devices": "no networked devices",
    "no_cycle_time": "no ideal cycle time",
    "no_counts": "no production counts",
    "no_run": "no running time",
    "nothing_planned": "no planned production time",
    "no_state": "no known state",
    "no_energy": "no energy metering",
    "no_good_parts": "no good parts",
}
FLAG_ZH = {
    "performance_above_tolerance": "性能开动率超过105%（理想节拍或产量计数有误）",
    "oee_out_of_bounds": "OEE超过105%",
    "availability_out_of_bounds": "时间开动率超出0–100%",
    "quality_out_of_bounds": "合格品率超出0–100%",
}
NAME_ZH = {
    "networking_rate": "设备联网率",
    "coverage": "数据采集覆盖率",
    "availability": "时间开动率",
    "performance": "性能开动率",
    "quality": "合格品率",
    "oee": "设备综合效率（OEE）",
    "teep": "完全有效生产率（TEEP）",
    "utilisation": "设备利用率",
    "energy_per_unit_kwh": "单位产品能耗",
    "has_energy_metering": "能耗计量",
}


@dataclass(frozen=True, slots=True)
class Card:
    """Figures shown together, with the one minimum of data they all follow."""

    id: str
    name_zh: str
    figures: tuple[str, ...]
    min_hours: Fraction
    basis: str  # observed | known | known_planned
    source: str

    @property
    def need_s(self) -> Fraction:
        """The minimum in seconds."""
        return self.min_hours * 3600


@dataclass(frozen=True, slots=True)
class FigureRules:
    """The cards and their minimums, versioned (data/figure_rules.json)."""

    version: str
    cards: tuple[Card, ...]

    def card_of(self, figure: str) -> Card:
        """The card a figure belongs to."""
        for card in self.cards:
            if figure in card.figures:
                return card
        raise KeyError(figure)

    def card(self, card_id: str) -> Card:
        """A card by id."""
        return next(c for c in self.cards if c.id == card_id)


def parse_figure_rules(raw: Mapping[str, object]) -> FigureRules:
    """Rules from their JSON form; a figure on two cards, a basis unknown or a card without a source is refused."""
    cards = []
    seen: set[str] = set()
    for item in raw["cards"]:  # type: ignore[attr-defined]
        if item["basis"] not in BASIS_ZH:
            raise ValueError(
                f"cards.{item['id']}.basis: {item['basis']!r} is not one of {', '.join(BASIS_ZH)}"
            )
        if not str(item.get("source", "")).strip():
            raise ValueError(f"cards.{item['id']}.source: every card names its source")
        twice = seen & set(item["figures"])
        if twice:
            raise ValueError(f"cards.{item['id']}.figures: {sorted(twice)[0]} is on two cards")
        seen |= set(item["figures"])
        cards.append(
            Card(
                item["id"],
                item["name_zh"],
                tuple(item["figures"]),
                Fraction(str(item["min_hours"])),
                item["basis"],
                item["source"],
            )
        )
    return FigureRules(str(raw["version"]), tuple(cards))


@cache
def load_figure_rules() -> FigureRules:
    """The packaged figure rules."""
    text = (
        resources.files("scoring.indicators.data").joinpath("figure_rules.json").read_text(encoding="utf-8")
    )
    return parse_figure_rules(json.loads(text))


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure of a device or of the plant, with what it rests on.

    `value` is set when the status is ok, or out of bounds for a device (kept and shown with its flags);
    otherwise None, so no page can print a number beside 数据不足. `have_s` is the data behind it on the
    card's basis (for the plant: the most of any device it pools, or of any device still short of data),
    `need_s` the card's minimum; `population` the devices (or ledger lines) it pools.
    """

    name: str
    value: Fraction | None
    status: str
    population: tuple[str, ...]
    have_s: Fraction
    need_s: Fraction
    basis: str
    reason: str = ""  # unavailable: why (REASON_ZH)
    flags: tuple[str, ...] = ()  # out of bounds: which bounds (FLAG_ZH), for the plant "device: flag"

    @property
    def ok(self) -> bool:
        """Whether the figure may be shown as a number, pooled and rated."""
        return self.status == OK

    @property
    def have_hours(self) -> float:
        """Hours of data behind it."""
        return float(self.have_s) / 3600

    @property
    def need_hours(self) -> float:
        """Hours of data its card asks for."""
        return float(self.need_s) / 3600


def hours_text(value: float) -> str:
    """Hours to one decimal, a trailing .0 dropped."""
    return f"{value:.1f}".removesuffix(".0")


def insufficient_text(have_hours: float, need_hours: float) -> str:
    """ "数据不足：已采集 X 小时，需 Y 小时"."""
    return f"数据不足：已采集 {hours_text(have_hours)} 小时，需 {hours_text(need_hours)} 小时"


def value_text(name: str, value: Fraction | float | None) -> str:
    """A figure's number as the pages and the report print it: 76.0%, 0.160 kWh, — when there is none."""
    if value is None:
        return "—"
    if name == "energy_per_unit_kwh":
        return f"{float(value):.3f} kWh"
    return f"{float(value) * 100:.1f}%"


def flags_text(flags: Iterable[str]) -> str:
    """Bound flags in Chinese ("device: flag" pairs keep the device)."""
    out = []
    for flag in flags:
        device, sep, name = flag.rpartition(": ")
        out.append(f"{device}{sep}{FLAG_ZH.get(name, name)}" if sep else FLAG_ZH.get(flag, flag))
    return "；".join(out)


def figure_text(figure: Figure, lang: str = "zh") -> str:
    """What a page, the report and the API's `text` say for a figure: its number, or why there is none."""
    if figure.status == OK:
        return value_text(figure.name, figure.value)
    shown = "" if figure.value is None else f" {value_text(figure.name, figure.value)}"
    if lang != "zh":
        if figure.status == INSUFFICIENT:
            have, need = hours_text(figure.have_hours), hours_text(figure.need_hours)
            return f"insufficient data: {have} h collected, {need} h needed ({BASIS_EN[figure.basis]})"
        if figure.status == OUT_OF_BOUNDS:
            return f"out of bounds{shown}: {', '.join(figure.flags)}"
        return f"no data: {REASON_EN.get(figure.reason, figure.reason)}"
    if figure.status == INSUFFICIENT:
        return f"{insufficient_text(figure.have_hours, figure.need_hours)}（{BASIS_ZH[figure.basis]}）"
    if figure.status == OUT_OF_BOUNDS:
        return f"越界{shown}：{flags_text(figure.flags)}"
    return f"无数据：{REASON_ZH.get(figure.reason, figure.reason)}"


def status_label(status: str, lang: str = "zh") -> str:
    """The status word: 正常 / 数据不足 / 越界 / 无数据."""
    if lang != "zh":
        return {OK: "ok", INSUFFICIENT: "insufficient data", OUT_OF_BOUNDS: "out of bounds"}.get(
            status, "no data"
        )
    return STATUS_ZH[status]


def definition_text(name: str, figure: Figure, *, oee_basis: str = "pooled", lang: str = "zh") -> str:
    """How a plant figure is defined, with the devices (or ledger lines) it pools: shown beside it on every
    page and in the report (docs/scoring.md, "Plant figures")."""
    who = "、".join(figure.population) if lang == "zh" else ", ".join(figure.population)
    if lang != "zh":
        return {
            "networking_rate": f"connected production equipment of the ledger over its production equipment ({who})",
            "coverage": f"device coverages weighted by observed time ({who}): known-state time over observed "
            "time for a device reporting by exception, samples received over expected for a sampling device",
            "oee": f"OEE of the bottleneck device {who}"
            if oee_basis == "bottleneck"
            else f"availability × performance × quality, each pooled over the same devices ({who}): Σ run ÷ "
            "Σ planned time of known state, Σ ideal cycle × parts ÷ Σ run, Σ good ÷ Σ parts",
            "teep": f"Σ run ÷ Σ time of known state × performance × quality, over the OEE's devices ({who})",
            "utilisation": f"Σ run ÷ Σ time of known state over the devices listed ({who})",
            "energy_per_unit_kwh": f"Σ energy ÷ Σ good parts over the metered devices ({who})",
        }.get(name, "")
    return {
        "networking_rate": f"设备台账中已联网的生产设备 ÷ 台账中的生产设备（{who}）",
        "coverage": f"各设备覆盖率按实测时间加权（{who}）：按例外上报的设备为已知状态时间 ÷ 实测时间，"
        "按采样上报的设备为收到的样本 ÷ 应收样本",
        "oee": f"取瓶颈设备 {who} 的 OEE"
        if oee_basis == "bottleneck"
        else f"时间开动率 × 性能开动率 × 合格品率，三者按同一组设备合并（{who}）：Σ运行时间 ÷ Σ已知状态的计划生产时间，"
        "Σ（理想节拍 × 产量）÷ Σ运行时间，Σ合格品 ÷ Σ产量",
        "teep": f"Σ运行时间 ÷ Σ已知状态时间 × 性能开动率 × 合格品率，设备同 OEE（{who}）",
        "utilisation": f"Σ运行时间 ÷ Σ已知状态时间，按所列设备合并（{who}）",
        "energy_per_unit_kwh": f"Σ能耗 ÷ Σ合格品，按有能耗计量的设备合并（{who}）",
    }.get(name, "")
