"""Why each line has its verdict, as plain data: a code and its parameters, read from the clause and the plan.

The engine's `Line.explanation` is its English sentence (the CLI's JSON); the pages and reports say the same in
Chinese from this data (`diagnose/wording/subsidy_zh.py`), so the wording lives outside the pure core. Names
(regions, targets, fields) stay ids and paths here; the wording looks them up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scoring.subsidy.engine import Line, SubsidyResult
from scoring.subsidy.model import Catalogue, Clause, Condition
from scoring.subsidy.plan import Plan, Product
from scoring.subsidy.rules import check, field_value, is_product_condition

# What an explanation says; its parameters are the fields of `Explanation` named beside each code.
CODES = (
    "out_of_force",  # date; the clause's validity and successor
    "outside_region",  # region (the enterprise's), clause_region
    "condition_failed",  # condition (the first one the plan fails)
    "no_product",  # no product of the plan meets the clause's product conditions
    "zero_amount",  # working (the arithmetic comes to nothing)
    "up_to_only",  # cap_cny (the policy states a ceiling and no method)
    "not_computable",  # reason (the clause's reason, as its data says it)
    "paid",  # working, amount_fen, met, quota_per_year
    "superseded",  # working, rival_clause_id, rival_fen (就高不重复)
    "excluded",  # working, rival_clause_id, rival_fen, exclusion_rule (互斥)
)


@dataclass(frozen=True)
class ConditionCheck:
    """One condition held against the plan: the clause's test, the plan's value and whether it passed.

    For the SME digital level (`enterprise.sme_level` with > or >=) `value` is the rated level and `required`
    the lowest level that passes, both ints."""

    kind: str  # as Condition.kind: field | new | has | has_any | product_has | any
    ok: bool
    field: str = ""
    op: str = ""
    value: Decimal | bool | str | int | None = None
    required: Decimal | bool | str | int | tuple[str, ...] | None = None
    ids: tuple[str, ...] = ()
    any_of: tuple[ConditionCheck, ...] = ()

    @property
    def is_sme_level(self) -> bool:
        """True for a threshold on the SME digital level (worded with the index's level names)."""
        return self.kind == "field" and self.field == "enterprise.sme_level" and self.op in (">", ">=")


@dataclass(frozen=True)
class Term:
    """One plan figure in an amount's base: its path and value."""

    path: str
    value: Decimal


@dataclass(frozen=True)
class Arithmetic:
    """How one amount is computed (for one product when the clause pays per product: `product` is its name)."""

    kind: str  # fixed | rate | per_unit | range (a rate between rate and rate_max with a floor)
    cny: Decimal = Decimal(0)
    rate: Decimal = Decimal(0)
    rate_max: Decimal = Decimal(0)
    terms: tuple[Term, ...] = ()
    base: Decimal = Decimal(0)
    unit: str = ""
    unit_cny: Decimal = Decimal(0)
    floor_cny: Decimal = Decimal(0)
    low_cny: Decimal = Decimal(0)
    high_cny: Decimal = Decimal(0)
    product: str | None = None


@dataclass(frozen=True)
class Working:
    """The arithmetic of a computable clause: one part, or one per qualifying product, and the caps."""

    parts: tuple[Arithmetic, ...]
    per_product: bool
    caps: tuple[tuple[str, Decimal], ...] = ()  # (scope, yuan)


@dataclass(frozen=True)
class Explanation:
    """Why one line has its verdict: a code of `CODES` and the parameters it needs (the rest stay empty)."""

    code: str
    clause_id: str
    date: str = ""
    region: str = ""
    clause_region: str = ""
    condition: ConditionCheck | None = None
    working: Working | None = None
    cap_cny: Decimal = Decimal(0)
    reason: str = ""
    amount_fen: int = 0
    met: tuple[ConditionCheck, ...] = ()
    quota_per_year: int = 0
    rival_clause_id: str = ""
    rival_fen: int = 0
    exclusion_rule: str = ""


def check_condition(
    cond: Condition, plan: Plan, catalogue: Catalogue, product: Product | None = None
) -> ConditionCheck:
    """One condition, the plan's value and whether the plan meets it."""
    ok, _ = check(cond, plan, catalogue, product)
    if cond.kind == "field":
        value = field_value(plan, cond.field, product)
        if cond.field == "enterprise.sme_level" and cond.op in (">", ">="):
            needed = int(Decimal(str(cond.value))) + (1 if cond.op == ">" else 0)
            return ConditionCheck(cond.kind, ok, cond.field, cond.op, int(value), needed)
        return ConditionCheck(cond.kind, ok, cond.field, cond.op, value, cond.value)
    if cond.kind == "any":
        subs = tuple(check_condition(sub, plan, catalogue, product) for sub in cond.any_of)
        return ConditionCheck(cond.kind, ok, any_of=subs)
    return ConditionCheck(cond.kind, ok, ids=cond.ids)


def qualifying_products(clause: Clause, plan: Plan, catalogue: Catalogue) -> tuple[Product, ...]:
    """The plan's products that meet the clause's product conditions."""
    conds = [c for c in clause.conditions if is_product_condition(c)]
    return tuple(p for p in plan.products if all(check(c, plan, catalogue, p)[0] for c in conds))


def _arithmetic(clause: Clause, plan: Plan, product: Product | None) -> Arithmetic:
    rule = clause.amount
    name = None if product is None else product.name
    if rule.kind == "fixed":
        return Arithmetic("fixed", cny=rule.cny, product=name)
    terms = tuple(Term(p, Decimal(field_value(plan, p, product))) for p in rule.base)
    base = sum((t.value for t in terms), Decimal(0))
    if rule.kind == "rate":
        return Arithmetic("rate", rate=rule.rate, terms=terms, base=base, product=name)
    if rule.kind == "per_unit":
        return Arithmetic(
            "per_unit", unit=rule.unit, unit_cny=rule.unit_cny, terms=terms, base=base, product=name
        )
    low, high = max(rule.rate * base, rule.floor_cny), max(rule.rate_max * base, rule.floor_cny)
    return Arithmetic(
        "range",
        rate=rule.rate,
        rate_max=rule.rate_max,
        terms=terms,
        base=base,
        floor_cny=rule.floor_cny,
        low_cny=low,
        high_cny=high,
        product=name,
    )


def working(clause: Clause, plan: Plan, catalogue: Catalogue) -> Working:
    """The arithmetic of a computable clause for the plan."""
    caps = tuple((c.scope, c.cny) for c in clause.caps)
    if clause.per_product:
        parts = tuple(_arithmetic(clause, plan, p) for p in qualifying_products(clause, plan, catalogue))
        return Working(parts, True, caps)
    return Working((_arithmetic(clause, plan, None),), False, caps)


def _rival(line: Line, result: SubsidyResult, catalogue: Catalogue) -> Clause | None:
    """The paid clause that supersedes or excludes this one (same target, or the same exclusion group)."""
    clause = catalogue.clause(line.clause_id)
    for other in result.lines:
        if other.status != "paid" or other.clause_id == line.clause_id:
            continue
        rival = catalogue.clause(other.clause_id)
        if rival.target == clause.target or (
            clause.exclusion_group is not None and rival.exclusion_group == clause.exclusion_group
        ):
            return rival
    return None


def explain(line: Line, result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> Explanation:
    """Why the line has its verdict, from the clause's data and the plan."""
    clause = catalogue.clause(line.clause_id)
    status = line.status
    if status == "out_of_force":
        return Explanation("out_of_force", clause.id, date=plan.date.isoformat())
    if not catalogue.is_under(plan.enterprise.region, clause.region):
        return Explanation(
            "outside_region", clause.id, region=plan.enterprise.region, clause_region=clause.region
        )
    if status == "not_eligible":
        for cond in clause.conditions:
            if not is_product_condition(cond) and not check(cond, plan, catalogue)[0]:
                return Explanation(
                    "condition_failed", clause.id, condition=check_condition(cond, plan, catalogue)
                )
        if clause.per_product and not qualifying_products(clause, plan, catalogue):
            return Explanation("no_product", clause.id)
        return Explanation("zero_amount", clause.id, working=working(clause, plan, catalogue))
    if status == "not_computable":
        if clause.amount.kind == "up_to":
            return Explanation("up_to_only", clause.id, cap_cny=clause.amount.cny)
        return Explanation("not_computable", clause.id, reason=clause.amount.reason)
    steps = working(clause, plan, catalogue)
    if status == "paid":
        met = tuple(
            check_condition(c, plan, catalogue)
            for c in clause.conditions
            if not is_product_condition(c) and c.kind in ("field", "new", "has", "has_any", "any")
        )
        quota = clause.quota.per_year if clause.quota else 0
        return Explanation(
            "paid", clause.id, working=steps, amount_fen=line.amount_fen, met=met, quota_per_year=quota
        )
    rival = _rival(line, result, catalogue)
    paid = next((x.amount_fen for x in result.lines if rival and x.clause_id == rival.id), 0)
    rival_id = rival.id if rival else ""
    if status == "superseded":
        return Explanation("superseded", clause.id, working=steps, rival_clause_id=rival_id, rival_fen=paid)
    return Explanation(
        "excluded",
        clause.id,
        working=steps,
        rival_clause_id=rival_id,
        rival_fen=paid,
        exclusion_rule=clause.exclusion_rule,
    )


def in_main_text(line: Line) -> bool:
    """True when the clause is in force, applies where the enterprise is and its conditions hold.

    The engine only says paid / not_computable / superseded / excluded after the region, the validity
    window and every condition passed; out_of_force and not_eligible lines go to the report's appendix.
    """
    return line.status in ("paid", "not_computable", "superseded", "excluded")
