"""Enterprises and service providers (admin registers them; a bureau reads those in its regions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from diagnose.schemas.common import In, Out, fen_field
from diagnose.schemas.errors import FieldError
from scoring.planning import industry_section
from scoring.uscc import validate_uscc

Scale = Literal["micro", "small", "medium", "large"]
IndustryType = Literal["discrete", "process"]


def check_industry_code(code: str) -> str:
    """A GB/T 4754-2017 code: a section letter ('C'), optionally followed by a division, group or class of that
    section ('C34', '3484', 'C3484'). Returns it normalised (upper case, no spaces); ValueError otherwise."""
    text = code.strip().upper()
    letter, digits = (text[:1], text[1:]) if text[:1].isalpha() else ("", text)
    if not digits:
        if letter and industry_section(letter) == letter:
            return text
        raise FieldError("", "industry_code")
    if not digits.isdigit() or len(digits) not in (2, 3, 4):
        raise FieldError("", "industry_code")
    section = industry_section(digits)
    if not section:
        raise FieldError("", "industry_division", division=digits[:2])
    if letter and letter != section:
        raise FieldError("", "industry_section", division=digits[:2], section=section, typed=letter)
    return text


def _uscc(code: str) -> str:
    return validate_uscc(code)


Uscc = Annotated[str, Field(min_length=18, max_length=18, title="统一社会信用代码"), AfterValidator(_uscc)]
IndustryCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=8,
        title="行业代码",
        description="GB/T 4754-2017: section letter, or division/group/class digits (C, C34, 3484)",
    ),
    AfterValidator(check_industry_code),
]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", title="行政区划代码")]
# The column is a 32-bit INTEGER on PostgreSQL: at most 21,474,836.47 元 can be stored today.
Revenue = fen_field(2**31 - 1, title="营业收入", description="Annual revenue.")


class EnterpriseCreate(In):
    """A manufacturer to register (admin)."""

    uscc: Uscc
    name: str = Field(min_length=1, max_length=128, title="企业名称")
    region_code: RegionCode
    industry_code: IndustryCode
    industry_type: IndustryType = Field(default="discrete", title="行业类型")
    scale: Scale = Field(default="medium", title="企业规模")
    revenue_fen: Revenue | None = None  # type: ignore[valid-type]
    strategic_emerging: bool = Field(default=False, title="战略性新兴产业")


class EnterpriseOut(Out):
    """A registered enterprise."""

    id: int = Field(title="编号")
    uscc: str = Field(title="统一社会信用代码")
    name: str = Field(title="企业名称")
    region_code: str = Field(title="行政区划代码")
    industry_code: str = Field(title="行业代码")
    industry_type: str = Field(title="行业类型")
    scale: str = Field(title="企业规模")
    revenue_fen: int | None = Field(title="营业收入（分）")
    strategic_emerging: bool = Field(title="战略性新兴产业")
    created_at: datetime = Field(title="登记时间")


class EnterpriseList(Out):
    """Enterprises in scope."""

    items: list[EnterpriseOut] = Field(title="企业")


class ProviderCreate(In):
    """A diagnosis service provider to register (admin)."""

    uscc: Uscc
    name: str = Field(min_length=1, max_length=128, title="服务商名称")
    region_code: RegionCode
    contact: str | None = Field(default=None, max_length=128, title="联系方式")


class ProviderOut(Out):
    """A registered provider."""

    id: int = Field(title="编号")
    uscc: str = Field(title="统一社会信用代码")
    name: str = Field(title="服务商名称")
    region_code: str = Field(title="行政区划代码")
    contact: str | None = Field(title="联系方式")


class ProviderList(Out):
    """Providers in scope."""

    items: list[ProviderOut] = Field(title="服务商")


class BureauCreate(In):
    """A bureau (主管部门) to register (admin): it buys diagnoses for its region and those under it."""

    name: str = Field(min_length=1, max_length=128, title="主管部门名称")
    region_code: RegionCode


class RegionUpsert(In):
    """A region to add or rename (admin), by its GB/T 2260 code; its parent must be registered."""

    code: RegionCode
    name: str = Field(min_length=1, max_length=64, title="地区名称")
    level: Literal["province", "city", "district"] = Field(default="district", title="等级")
    parent_code: RegionCode | None = Field(default=None, title="上级地区")
