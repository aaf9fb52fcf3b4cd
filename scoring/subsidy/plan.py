"""The enterprise's plan (investments, recognitions, provider contracts) and its strict parser."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Field kinds: "money" (yuan, Decimal ≥ 0), "quantity" (Decimal ≥ 0), "count" (int ≥ 0).
ENTERPRISE_FIELDS = {
    "region": "region",
    "industry": "industry",
    "strategic_emerging": "bool",
    "revenue_cny": "money",
    "revenue_increase_cny": "money",
    "holds": "ids",
    "name": "text",
    # The SME digital level (中小企业数字化水平评测指标 2024年版): 0 not rated or 无等级, 1–4 一级–四级. A clause
    # naming a level ("数字化水平达到二级") reads it as {"field": "enterprise.sme_level", "op": ">=", "value": 2}.
    "sme_level": "count",
}
MAX_SME_LEVEL = 4
INVESTMENT_FIELDS = {
    "equipment_cny": "money",
    "it_cny": "money",
    "robots_cny": "money",
    "energy_saved_tce": "quantity",
    "loan_cny": "money",
    "innovation_product_purchase_cny": "money",
    "rd_cny": "money",
    "base_stations_5g": "count",
    "base_stations_5g_over_plan": "count",
    "equity_refinancing_cny": "money",
    "bond_financing_cny": "money",
    "refinancing_local_share": "quantity",
}
PROVIDER_FIELDS = {"local_contract_cny": "money", "local_enterprises": "count", "invoiced_cny": "money"}
PRODUCT_FIELDS = {
    "name": "text",
    "unit_price_cny": "money",
    "sales_cny": "money",
    "insurance_premium_cny": "money",
    "recognitions": "ids",
}
TOP_FIELDS = ("date", "award_year", "enterprise", "investments", "recognitions", "products", "provider")
# GB/T 4754-2017 sections (门类) A–T: B mining, C manufacturing, D utilities, I software & IT services.
INDUSTRY_SECTIONS = tuple("ABCDEFGHIJKLMNOPQRST")
NUMERIC_PATHS = {
    **{f"enterprise.{k}": v for k, v in ENTERPRISE_FIELDS.items() if v in ("money", "quantity", "count")},
    **{f"investments.{k}": v for k, v in INVESTMENT_FIELDS.items()},
    **{f"provider.{k}": v for k, v in PROVIDER_FIELDS.items()},
    **{f"product.{k}": v for k, v in PRODUCT_FIELDS.items() if v == "money"},
}
CONDITION_PATHS = {
    **NUMERIC_PATHS,
    "enterprise.strategic_emerging": "bool",
    "enterprise.industry": "industry",
    "enterprise.region": "region",
}
_UNITS = {
    "money": "a non-negative number of yuan",
    "quantity": "a non-negative number",
    "count": "a non-negative integer",
}


class PlanError(ValueError):
    """A plan field is unknown or has a bad value; `.field` names it (e.g. 'investments.it_cny')."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Enterprise:
    """Who applies: region code, GB/T 4754 section, strategic-emerging flag, revenue, held recognitions."""

    region: str
    industry: str = ""
    strategic_emerging: bool = False
    revenue_cny: Decimal = Decimal(0)
    revenue_increase_cny: Decimal = Decimal(0)
    holds: tuple[str, ...] = ()
    name: str = ""
    sme_level: Decimal = Decimal(0)  # 0: not rated or 无等级; 1–4: 一级–四级


@dataclass(frozen=True)
class Investments:
    """Planned amounts for the year (yuan unless the name says otherwise)."""

    equipment_cny: Decimal = Decimal(0)
    it_cny: Decimal = Decimal(0)
    robots_cny: Decimal = Decimal(0)
    energy_saved_tce: Decimal = Decimal(0)
    loan_cny: Decimal = Decimal(0)
    innovation_product_purchase_cny: Decimal = Decimal(0)
    rd_cny: Decimal = Decimal(0)
    base_stations_5g: Decimal = Decimal(0)
    base_stations_5g_over_plan: Decimal = Decimal(0)
    equity_refinancing_cny: Decimal = Decimal(0)
    bond_financing_cny: Decimal = Decimal(0)
    refinancing_local_share: Decimal = Decimal(0)


@dataclass(frozen=True)
class Product:
    """One product for per-product clauses (first-unit equipment, first-order insurance, software)."""

    name: str = ""
    unit_price_cny: Decimal = Decimal(0)
    sales_cny: Decimal = Decimal(0)
    insurance_premium_cny: Decimal = Decimal(0)
    recognitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    """A service provider's local contracts for the year (000 clause 7, 003 clause 25)."""

    local_contract_cny: Decimal = Decimal(0)
    local_enterprises: Decimal = Decimal(0)
    invoiced_cny: Decimal = Decimal(0)


@dataclass(frozen=True)
class Plan:
    """One enterprise's plan: the application date and the award year (年度) the projects belong to."""

    date: dt.date
    enterprise: Enterprise
    investments: Investments = Investments()
    recognitions: tuple[str, ...] = ()
    products: tuple[Product, ...] = ()
    provider: Provider = Provider()
    award_year: int = 0  # 0 = the application date's year (see `year`)
    award_year_given: bool = False

    @property
    def year(self) -> int:
        """The award year (年度) of the projects: given in the plan, else the application date's year."""
        return self.award_year or self.date.year

    def has(self, recognition: str) -> bool:
        """True if the recognition is held already or applied for in this plan."""
        return recognition in self.recognitions or recognition in self.enterprise.holds


def to_decimal(value: Any, field: str, kind: str = "money") -> Decimal:
    """Convert a JSON number or numeric string to a non-negative Decimal, or raise PlanError."""
    unit = _UNITS.get(kind, _UNITS["money"])
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PlanError(field, f"must be {unit}")
    if isinstance(value, float) and not math.isfinite(value):
        raise PlanError(field, f"must be {unit}")
    try:
        # repr() of a float is its shortest round-trip decimal, so 1234567.89 stays exact.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise PlanError(field, f"must be {unit}") from None
    if not number.is_finite() or number < 0:
        raise PlanError(field, f"must be {unit}")
    if kind == "count" and number != number.to_integral_value():
        raise PlanError(field, f"must be {unit}")
    return number


def _ids(value: Any, field: str, known: Mapping[str, object]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PlanError(field, "must be a list of target ids (see `diagnose subsidy --targets`)")
    for index, item in enumerate(value):
        if item not in known:
            raise PlanError(f"{field}[{index}]", f"unknown target id {item!r}")
    return tuple(dict.fromkeys(value))


def _section(raw: Any, name: str, spec: Mapping[str, str], known: Mapping[str, object]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise PlanError(name, "must be an object")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{name}.{key}"
        kind = spec.get(key)
        if kind is None:
            raise PlanError(path, "unknown field")
        if kind in _UNITS:
            out[key] = to_decimal(value, path, kind)
        elif kind == "bool":
            if not isinstance(value, bool):
                raise PlanError(path, "must be true or false")
            out[key] = value
        elif kind == "ids":
            out[key] = _ids(value, path, known)
        elif kind == "industry":
            if value not in INDUSTRY_SECTIONS:
                raise PlanError(path, "must be a GB/T 4754 section letter A–T (C = manufacturing)")
            out[key] = value
        elif not isinstance(value, str):
            raise PlanError(path, "must be a string")
        else:
            out[key] = value
    return out


def parse_plan(raw: Mapping[str, Any], targets: Mapping[str, object], regions: Mapping[str, object]) -> Plan:
    """Validate a plan dict (as from JSON) into a Plan; unknown fields and bad values raise PlanError."""
    if not isinstance(raw, Mapping):
        raise PlanError("plan", "must be a JSON object")
    for key in raw:
        if key not in TOP_FIELDS:
            raise PlanError(str(key), "unknown field")
    if "date" not in raw:
        raise PlanError("date", "is required (YYYY-MM-DD)")
    try:
        date = dt.date.fromisoformat(raw["date"]) if isinstance(raw["date"], str) else None
    except ValueError:
        date = None
    if date is None:
        raise PlanError("date", "must be a date YYYY-MM-DD")
    if "enterprise" not in raw:
        raise PlanError("enterprise", "is required")
    enterprise = _section(raw["enterprise"], "enterprise", ENTERPRISE_FIELDS, targets)
    if "region" not in enterprise:
        raise PlanError("enterprise.region", "is required (administrative code, e.g. '320412')")
    if enterprise["region"] not in regions:
        raise PlanError("enterprise.region", f"unknown region code {enterprise['region']!r}")
    if enterprise.get("sme_level", Decimal(0)) > MAX_SME_LEVEL:
        raise PlanError("enterprise.sme_level", "must be a digital level 0-4 (0: not rated or 无等级)")
    award_year = raw.get("award_year")
    if award_year is not None and (
        isinstance(award_year, bool) or not isinstance(award_year, int) or not 2000 <= award_year <= date.year
    ):
        raise PlanError("award_year", "must be a year (e.g. 2024), not after the application date's year")
    products_raw = raw.get("products", [])
    if not isinstance(products_raw, Sequence) or isinstance(products_raw, str):
        raise PlanError("products", "must be a list of objects")
    products = tuple(
        Product(**_section(item, f"products[{index}]", PRODUCT_FIELDS, targets))
        for index, item in enumerate(products_raw)
    )
    investments = Investments(
        **_section(raw.get("investments", {}), "investments", INVESTMENT_FIELDS, targets)
    )
    if investments.base_stations_5g_over_plan > investments.base_stations_5g:
        raise PlanError(
            "investments.base_stations_5g_over_plan",
            "cannot exceed investments.base_stations_5g (the stations beyond the plan are among those built)",
        )
    if investments.refinancing_local_share > 1:
        raise PlanError("investments.refinancing_local_share", "must be a share between 0 and 1")
    return Plan(
        date=date,
        award_year=award_year or date.year,
        award_year_given=award_year is not None,
        enterprise=Enterprise(**enterprise),
        investments=investments,
        recognitions=_ids(raw.get("recognitions", []), "recognitions", targets),
        products=products,
        provider=Provider(**_section(raw.get("provider", {}), "provider", PROVIDER_FIELDS, targets)),
    )
