"""The provider's records of a plant: an equipment-ledger line, a ledger import, a production-calendar rule."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, Json, ValidationInfo, field_validator

from diagnose.schemas.common import In, Upload
from diagnose.schemas.devices import ExternalId
from diagnose.schemas.errors import FieldError

MAX_LEDGER_ROWS = 5000  # as many as one import file may have (DIAGNOSE_IMPORT_MAX_ROWS may only lower it)


def _clock(text: str) -> str:
    try:
        time.fromisoformat(text)
    except ValueError:
        raise FieldError("", "not_a_time") from None
    return text


# A time of day in China time, as typed: "08:00".
Clock = Annotated[str, Field(pattern=r"^[0-9]{2}:[0-9]{2}$"), AfterValidator(_clock)]


class EquipmentForm(In):
    """One line of the equipment ledger (设备台账)."""

    code: str = Field(min_length=1, max_length=64, title="设备编号", description="The asset number")
    name: str = Field(min_length=1, max_length=128, title="设备名称")
    kind: str = Field(default="", max_length=64, title="设备类型")
    device_id: ExternalId | None = Field(default=None, title="平台设备ID")
    serial: str = Field(default="", max_length=64, title="出厂编号")
    production: bool = Field(default=False, title="生产设备")
    connected: bool = Field(default=False, title="已联网")
    digital: bool | None = Field(
        default=None, title="数字控制", description="NC/PLC-controlled; null: not stated"
    )


class LedgerImport(In):
    """A ledger file to check (a dry run), or the checked rows sent back to be stored (confirm)."""

    confirm: bool = Field(default=False, title="确认保存")
    # The checked rows of the dry run, sent back by its page to be stored.
    rows_json: Json[Annotated[list[dict[str, Any]], Field(max_length=MAX_LEDGER_ROWS)]] | None = Field(
        default=None, validate_default=True, title="待保存的行"
    )
    file: Upload | None = Field(default=None, validate_default=True, title="文件")

    @field_validator("rows_json")
    @classmethod
    def _rows_when_confirmed(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("confirm") and not value:
            raise FieldError("", "nothing_to_store")
        return value

    @field_validator("file")
    @classmethod
    def _file_unless_confirmed(cls, value: Upload | None, info: ValidationInfo) -> Upload | None:
        if not info.data.get("confirm") and "confirm" in info.data and value is None:
            raise FieldError("", "csv_or_xlsx")
        return value


class CalendarRuleForm(In):
    """A shift or a planned break on a weekday (the weekly pattern) or on a date (a dated exception: a makeup
    working day, a shortened day), in China time (an end before the start runs past midnight); or a holiday
    (a non-working day) on a date."""

    kind: Literal["shift", "break", "holiday"] = Field(title="类型")
    weekday: int | None = Field(default=None, ge=0, le=6, title="星期")
    day: date | None = Field(default=None, title="日期（节假日或专门安排的日期）")
    start: Clock | None = Field(default=None, title="开始时间")
    end: Clock | None = Field(default=None, title="结束时间")
    label: str = Field(default="", max_length=64, title="说明")


class BottleneckForm(In):
    """Mark a device as the plant's bottleneck, or clear the mark."""

    bottleneck: bool = Field(default=False, title="瓶颈设备")


class HolidayNoticeForm(In):
    """Load a year's national holiday notice into the plant's calendar."""

    year: int = Field(ge=2000, le=2100, title="年份")
    workday_like: int = Field(default=0, ge=0, le=6, title="调休上班日按星期几的班次")
