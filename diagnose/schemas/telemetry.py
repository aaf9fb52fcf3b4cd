"""A device's telemetry downsampled to the minute or the hour, and the plant's measured indicators."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from diagnose.schemas.common import In, OptionalMoment, Out, query_field

MAX_WINDOW = {"minute": timedelta(days=2), "hour": timedelta(days=92)}


class Window(In):
    """A half-open window [start, end) with time zones; both default (to the last 7 days / the hour)."""

    model_config = In.model_config | {"extra": "ignore"}

    start: OptionalMoment = query_field("开始时间")
    end: OptionalMoment = query_field("结束时间")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
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


class DeviceOee(Out):
    """OEE of one device over the window (ISO 22400-2)."""

    external_id: str = Field(title="设备编号")
    availability: float | None = Field(title="时间开动率")
    performance: float | None = Field(title="性能开动率")
    quality: float | None = Field(title="合格品率")
    oee: float | None = Field(title="设备综合效率")
    planned_s: float = Field(title="计划时间（秒）")
    run_s: float = Field(title="运行时间（秒）")
    total_count: int = Field(title="产量")
    good_count: int = Field(title="良品数")


class IndicatorsOut(Out):
    """The plant's measured indicators over their window."""

    start: AwareDatetime = Field(title="开始时间")
    end: AwareDatetime = Field(title="结束时间")
    devices_total: int = Field(title="设备总数")
    devices_networked: int = Field(title="联网设备数")
    networking_rate: float | None = Field(title="设备联网率")
    coverage: float | None = Field(title="数据采集覆盖率")
    oee: float | None = Field(title="设备综合效率（均值）")
    utilisation: float | None = Field(title="设备利用率")
    energy_per_good_unit_kwh: float | None = Field(title="单位良品能耗（kWh）")
    devices: list[DeviceOee] = Field(title="各设备")
