"""Frozen dataclasses for the policy catalogue: regions, targets, conditions, amount rules, clauses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

# Comparison operators a condition may use; 超 is ">", 及以上/以上（含） is ">=" (seeds README).
CONDITION_OPS = (">", ">=", "==", "in", "under")
AMOUNT_KINDS = ("fixed", "rate", "per_unit", "range", "up_to", "not_computable")
CAP_SCOPES = ("per_project", "per_enterprise", "per_enterprise_year", "per_product")
# Which plan date decides whether a clause is in force: the application date (申报日期) or the award
# year (年度) the projects belong to — a 2024年度 policy applies to 2024 projects applied for in 2025.
APPLIES_BY = ("application_date", "award_year")
LEVEL_RANK = {"province": 1, "prefecture_city": 2, "county_city": 3, "district": 3}


@dataclass(frozen=True)
class Region:
    """An administrative region (GB/T 2260 code) and its parent."""

    code: str
    name_zh: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class Target:
    """What a clause pays for; equal targets across levels compete under 就高不重复."""

    id: str
    name_zh: str
    kind: str


@dataclass(frozen=True)
class Condition:
    """One eligibility test: a field comparison, a recognition held/new, or any-of sub-conditions."""

    kind: str  # "field" | "new" | "has" | "has_any" | "product_has" | "any"
    field: str = ""
    op: str = ""
    value: Decimal | bool | str | tuple[str, ...] | None = None
    ids: tuple[str, ...] = ()
    any_of: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Cap:
    """A ceiling on the amount with its scope (per project, per enterprise (per year), per product)."""

    cny: Decimal
    scope: str


@dataclass(frozen=True)
class AmountRule:
    """How a clause's amount is computed; up_to and not_computable never yield a paid amount."""

    kind: str
    cny: Decimal = Decimal(0)
    rate: Decimal = Decimal(0)
    rate_max: Decimal = Decimal(0)
    base: tuple[str, ...] = ()
    unit_cny: Decimal = Decimal(0)
    unit_size: Decimal = Decimal(1)
    unit: str = ""
    floor_cny: Decimal = Decimal(0)
    reason: str = ""
    base_limit: str = ""  # a plan path the base may not exceed (000 clause 7: invoices of those contracts)


@dataclass(frozen=True)
class Quota:
    """A yearly quota stated by the clause (informational: awards are selected 择优)."""

    per_year: int
    unit: str
    quote: str


@dataclass(frozen=True)
class Clause:
    """One award rule with its citation, jurisdiction, validity, eligibility, amount and caps."""

    id: str
    policy: str
    source_file: str
    number: str
    clause: str
    region: str
    level: str
    valid_from: dt.date
    valid_to: dt.date | None
    target: str
    quote: str
    more_quotes: tuple[str, ...]
    conditions: tuple[Condition, ...]
    amount: AmountRule
    caps: tuple[Cap, ...] = ()
    quota: Quota | None = None
    exclusion_group: str | None = None
    exclusion_rule: str = ""
    per_product: bool = False
    replaces: str | None = None
    replaced_by: str | None = None
    note: str = ""
    also_targets: tuple[str, ...] = ()
    issuer: str = ""  # 发文机关 as the document's head prints it (citations name it)
    applies_by: str = "application_date"
    applies_by_quote: str = ""

    @cached_property
    def targets(self) -> frozenset[str]:
        """Every award target the clause pays for (就高不重复 compares these)."""
        return frozenset((self.target, *self.also_targets))

    @property
    def citation(self) -> str:
        """Human citation, e.g. '000_cf5f4b7ee4e36642.txt clause 7'."""
        return f"{self.source_file} clause {self.clause}"


@dataclass(frozen=True)
class Policy:
    """One seed policy document and its validity window."""

    id: str
    source_file: str
    number: str
    title: str
    region: str
    level: str
    valid_from: dt.date
    valid_to: dt.date | None
    validity_note: str
    applies_by: str = "application_date"
    issuer: str = ""  # 发文机关, from the document's data (`issuer`, quoted verbatim by `issuer_quote`)
    version: str = "shipped"


@dataclass(frozen=True)
class Catalogue:
    """The whole rule catalogue: policies, clauses in file order, targets and regions."""

    policies: tuple[Policy, ...]
    clauses: tuple[Clause, ...]
    targets: dict[str, Target] = field(hash=False)
    regions: dict[str, Region] = field(hash=False)
    version: str = ""  # sha256 prefix of the documents it was built from; results record it

    def clause(self, clause_id: str) -> Clause:
        """The clause with this id (KeyError if unknown)."""
        for item in self.clauses:
            if item.id == clause_id:
                return item
        raise KeyError(clause_id)

    def is_under(self, code: str, ancestor: str) -> bool:
        """True when region `code` is `ancestor` or lies inside it."""
        current: str | None = code
        while current is not None:
            if current == ancestor:
                return True
            region = self.regions.get(current)
            current = region.parent if region else None
        return False
