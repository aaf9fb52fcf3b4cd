"""Shared building blocks: bounded ids, money in fen with limits stated in yuan, strict input models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ID = 2**63 - 1  # the largest id a database integer column holds (PostgreSQL bigint, SQLite integer)


class In(BaseModel):
    """A request body or form: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)


Id = Annotated[int, Field(ge=1, le=MAX_ID, title="编号")]


def yuan_text(fen: int) -> str:
    """'1,500,000.00 元' for 150000000 fen."""
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def fen_field(max_fen: int, *, title: str, description: str = "", **kwargs: Any) -> Any:
    """An integer amount in fen between 0 and `max_fen`, the limit told in yuan in the schema and the message."""

    def check(value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        if value > max_fen:
            raise ValueError(f"at most {yuan_text(max_fen)}")
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


class PageOut(Out):
    """Where a page of a list is."""

    page: int = Field(title="页码", ge=1)
    pages: int = Field(title="总页数", ge=0)
    total: int = Field(title="总条数", ge=0)


class Message(Out):
    """A plain acknowledgement."""

    message: str = Field(title="说明")
