"""A device's telemetry downsampled to the minute or the hour, and the plant's measured indicators."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from diagnose.schemas.common import In, OptionalMoment, Out, query_field
from diagnose.schemas.errors import FieldError

MAX_WINDOW = {"minute": timedelta(days=2), "hour": timedelta(days=92)}


class Window(In):
    """A half-open window [start, end) with time zones; both default (to the last 7 days / the hour)."""

    model_config = In.model_config | {"extra": "ignore"}

    start: OptionalMoment = query_field("开始时间")
    end: OptionalMoment = query_field("结束时间")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start and self.end and self.end <= self.start:
            raise FieldError("", "end_before_start")
        return self


class SeriesQuery(Window):
    """The window and the resolution: minute (up to 2 days) or hour (up to 92 days)."""

    resolution: Literal["minute", "hour"] = Field(default="hour", title="粒度")


class IndicatorQuery(Window):
    """The window of the indicators (up to 92 days)."""


class SeriesPoint(Out):
    """One bucket. Minute: samples, last state, last counters, mean power. Hour (from the roll-ups): seconds per
    state and the counts and energy of the hour."""

    start: AwareDatetime = Field(title="开始时间")
    samples: int = Field(ge=0, title="样本数")
    state: str | None = Field(default=None, title="状态")
    count_total: int | None = Field(default=None, title="产量")
    count_good: int | None = Field(default=None, title="良品数")
    power_kw: float | None = Field(default=None, title="功率（kW）")
    energy_kwh: float | None = Field(default=None, title="电能（kWh）")
    seconds_by_state: dict[str, float] | None = Field(default=None, title="各状态时长（秒）")


class SeriesOut(Out):
    """A device's telemetry over a window."""

    device_id: int = Field(title="设备")
    external_id: str = Field(title="设备编号")
    resolution: Literal["minute", "hour"] = Field(title="粒度")
    start: AwareDatetime = Field(title="开始时间")
    end: AwareDatetime = Field(title="结束时间")
    points: list[SeriesPoint] = Field(title="数据点")


class FigureOut(Out):
    """One measured figure with what it rests on (issue #22): a value only when it is ok (or, for a device,
    out of bounds), else the reason; the same status and words as every page and the report."""

    name: str = Field(title="指标")
    value: float | None = Field(title="数值（正常时；设备越界时保留）")
    status: Literal["ok", "insufficient", "out_of_bounds", "unavailable"] = Field(
        title="状态（正常 / 数据不足 / 越界 / 无数据）"
    )
    text: str = Field(title="页面与报告中的文字")
    population: list[str] = Field(title="合并的设备（或台账设备编号）")
    have_hours: float = Field(title="已有数据（小时）")
    need_hours: float = Field(title="所需数据（小时）")
    basis: str = Field(title="时间依据（observed / known / known_planned）")
    reason: str = Field(default="", title="无数据的原因")
    flags: list[str] = Field(default_factory=list, title="越界标记")
    definition: str = Field(default="", title="定义")


class DeviceOee(Out):
    """One device's figures over its observed period in the window (ISO 22400-2 OEE and the rest)."""

    external_id: str = Field(title="设备编号")
    availability: float | None = Field(title="时间开动率（正常时）")
    performance: float | None = Field(title="性能开动率（正常时）")
    quality: float | None = Field(title="合格品率（正常时）")
    oee: float | None = Field(title="设备综合效率（正常时）")
    planned_s: float = Field(title="计划时间（秒）")
    run_s: float = Field(title="运行时间（秒）")
    total_count: int = Field(title="产量")
    good_count: int = Field(title="良品数")
    observed_s: float = Field(default=0, title="实测时间（秒）")
    known_s: float = Field(default=0, title="已知状态时间（秒）")
    unknown_planned_s: float = Field(default=0, title="计划时间中的无数据时间（秒）")
    coverage_basis: str = Field(default="", title="覆盖率依据（exception / sampling）")
    seconds_by_state: dict[str, float] = Field(
        default_factory=dict, title="各状态时长（秒，UNKNOWN 为无数据）"
    )
    downtime_by_reason_s: dict[str, float] = Field(
        default_factory=dict, title="已知停机时间按原因（秒，不含无数据时间）"
    )
    figures: dict[str, FigureOut] = Field(default_factory=dict, title="各指标")


class DailyOee(Out):
    """The plant OEE of one China day of the window."""

    day: str = Field(title="日期")
    figure: FigureOut = Field(title="当日工厂 OEE")


class IndicatorsOut(Out):
    """The plant's measured indicators over their window: the scoring's stored evidence snapshot, or the same
    function over the requested window."""

    start: AwareDatetime = Field(title="开始时间")
    end: AwareDatetime = Field(title="结束时间")
    source: Literal["scoring", "live"] = Field(default="live", title="来源（评分所用快照 / 按窗口计算）")
    snapshot_sha256: str | None = Field(default=None, title="快照 SHA-256（评分所用）")
    devices_total: int = Field(title="台账生产设备数")
    devices_networked: int = Field(title="台账已联网生产设备数")
    networking_rate: float | None = Field(title="设备联网率（正常时）")
    coverage: float | None = Field(title="数据采集覆盖率（正常时）")
    oee: float | None = Field(title="工厂设备综合效率：时间开动率×性能开动率×合格品率（正常时）")
    utilisation: float | None = Field(title="设备利用率（正常时）")
    energy_per_good_unit_kwh: float | None = Field(title="单位良品能耗（kWh，正常时）")
    figures: dict[str, FigureOut] = Field(default_factory=dict, title="工厂各指标")
    oee_basis: str = Field(default="pooled", title="工厂 OEE 依据（pooled / bottleneck）")
    devices: list[DeviceOee] = Field(title="各设备")
    daily: list[DailyOee] = Field(default_factory=list, title="每日工厂 OEE")
