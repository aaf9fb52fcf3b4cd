"""Shared building blocks: bounded ids, money in fen with limits stated in yuan, strict input models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from diagnose.schemas.errors import FieldError

MAX_ID = 2**31 - 1  # ids are INTEGER columns on PostgreSQL: a larger id in a body could never be stored
MAX_URL_ID = 10**18 - 1  # the URL converter's bound (web.BoundedIntConverter: 18 digits, below 2⁶³)


class In(BaseModel):
    """A request body or form: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Upload(BaseModel):
    """A file sent with a form: its name as the browser gave it, its declared type and its bytes."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, title="文件名")
    content_type: str = Field(default="", max_length=255, title="文件类型")
    data: bytes = Field(title="内容")


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)


# A secret typed by a person (a password): kept exactly as typed, spaces included.
Secret = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=256)]


def no_null_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # absent is the default; a query string cannot carry null


def query_field(title: str) -> Any:
    """An optional query parameter (absent: the documented default applies)."""
    return Field(default=None, title=title, json_schema_extra=no_null_default)


Id = Annotated[int, Field(ge=1, le=MAX_ID, title="编号")]
PathId = Annotated[
    int, Field(ge=0, le=MAX_URL_ID, title="编号", description="An id that is not found answers 404")
]
# Optional query parameters: absent means the default; a query string cannot carry null, so none is documented.
OptionalDate = Annotated[dt.date | None, WithJsonSchema({"type": "string", "format": "date"})]
OptionalMoment = Annotated[
    AwareDatetime | None,
    WithJsonSchema({"type": "string", "format": "date-time", "description": "RFC 3339 with an offset"}),
]


def yuan_text(fen: int) -> str:
    """'1,500,000.00 元' for 150000000 fen."""
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def fen_field(max_fen: int, *, title: str, description: str = "", **kwargs: Any) -> Any:
    """An integer amount in fen between 0 and `max_fen`, the limit told in yuan in the schema and the message."""

    def check(value: int) -> int:
        if value < 0:
            raise FieldError("", "not_negative")
        if value > max_fen:
            raise FieldError("", "amount_at_most", max_fen=max_fen)
        return value

    text = f"整数分（1 元 = 100 分），0 至 {yuan_text(max_fen)}"
    return Annotated[
        int,
        AfterValidator(check),
        Field(
            title=title,
            description=f"{description} {text}".strip(),
            json_schema_extra={"minimum": 0, "maximum": max_fen},
            **kwargs,
        ),
    ]


def yuan_field(max_fen: int, *, title: str, description: str = "", **kwargs: Any) -> Any:
    """An amount typed in yuan by a person ('150000', '150,000.50'): at most two decimals, 0 to the limit, told
    in yuan. Validates to a Decimal of yuan; `to_fen` converts exactly."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(",", "").replace("，", "").strip()
        return value

    def check(value: Decimal) -> Decimal:
        if value != value.quantize(Decimal("0.01")):
            raise FieldError("", "two_decimals")
        if value < 0:
            raise FieldError("", "not_negative")
        if to_fen(value) > max_fen:
            raise FieldError("", "amount_at_most", max_fen=max_fen)
        return value

    return Annotated[
        Decimal,
        BeforeValidator(parse),
        AfterValidator(check),
        Field(
            title=title,
            description=f"{description} 元，0 至 {yuan_text(max_fen)}".strip(),
            allow_inf_nan=False,
            **kwargs,
        ),
    ]


def to_fen(yuan: Decimal) -> int:
    """Exact integer fen of a yuan amount with at most two decimals."""
    return int(yuan * 100)


class PageOut(Out):
    """Where a page of a list is."""

    page: int = Field(title="页码", ge=1)
    pages: int = Field(title="总页数", ge=0)
    total: int = Field(title="总条数", ge=0)


class Message(Out):
    """A plain acknowledgement."""

    message: str = Field(title="说明")
