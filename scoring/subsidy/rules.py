"""Evaluate one clause against a plan: eligibility tests and amount arithmetic, each with its explanation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from scoring.subsidy.model import Catalogue, Clause, Condition
from scoring.subsidy.plan import Plan, Product

FEN = Decimal("0.01")
_OP_WORDS = {">": "strictly more than (超)", ">=": "at least (及以上)"}
_SCOPE_WORDS = {
    "per_project": "per project",
    "per_enterprise": "per enterprise",
    "per_enterprise_year": "per enterprise per year",
    "per_product": "per product",
}


def to_fen(amount_cny: Decimal) -> int:
    """Round a yuan amount half-up to whole fen and return the integer number of fen."""
    return int(amount_cny.quantize(FEN, rounding=ROUND_HALF_UP) * 100)


def fmt_cny(amount: Decimal) -> str:
    """Format yuan with thousands separators: 8000000 -> '8,000,000', 61728.3945 -> '61,728.3945'."""
    text = f"{amount.normalize():,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_rate(rate: Decimal) -> str:
    """Format a rate as a percentage: Decimal('0.05') -> '5%'."""
    return f"{fmt_cny(rate * 100)}%"


def field_value(plan: Plan, path: str, product: Product | None = None) -> Decimal | bool | str:
    """Read a dotted plan path; 'a+b' sums numeric fields, 'a-b' subtracts; 'product.x' reads the product."""
    if "-" in path:
        first, rest = path.split("-", 1)
        return Decimal(field_value(plan, first, product)) - Decimal(field_value(plan, rest, product))
    if "+" in path:
        return sum((Decimal(field_value(plan, p, product)) for p in path.split("+")), Decimal(0))
    section, name = path.split(".", 1)
    source: object = product if section == "product" else getattr(plan, section)
    value: Decimal | bool | str = getattr(source, name)
    return value


def _check_field(
    cond: Condition, plan: Plan, catalogue: Catalogue, product: Product | None
) -> tuple[bool, str]:
    value = field_value(plan, cond.field, product)
    if cond.op in (">", ">="):
        assert isinstance(value, Decimal) and isinstance(cond.value, Decimal)
        ok = value > cond.value if cond.op == ">" else value >= cond.value
        verb = "is" if ok else "is not"
        return ok, f"{cond.field} {fmt_cny(value)} {verb} {_OP_WORDS[cond.op]} {fmt_cny(cond.value)}"
    if cond.op == "in":
        assert isinstance(cond.value, tuple)
        ok = value in cond.value
        return ok, f"{cond.field} {value!r} {'is' if ok else 'is not'} in {list(cond.value)}"
    if cond.op == "under":
        ok = catalogue.is_under(str(value), str(cond.value))
        return ok, f"{cond.field} {value} {'is' if ok else 'is not'} under {cond.value}"
    ok = value == cond.value
    return ok, f"{cond.field} is {value!r}" + ("" if ok else f", needs {cond.value!r}")


def check(
    cond: Condition, plan: Plan, catalogue: Catalogue, product: Product | None = None
) -> tuple[bool, str]:
    """Test one condition; returns (passed, explanation)."""
    if cond.kind == "field":
        return _check_field(cond, plan, catalogue, product)
    if cond.kind == "new":
        ok = cond.ids[0] in plan.recognitions
        return ok, f"recognition {cond.ids[0]} {'applied for' if ok else 'not in plan.recognitions'}"
    if cond.kind == "has":
        ok = plan.has(cond.ids[0])
        return ok, f"{cond.ids[0]} {'held' if ok else 'neither held nor applied for'}"
    if cond.kind == "has_any":
        held = [i for i in cond.ids if plan.has(i)]
        return bool(held), f"holds {held[0]}" if held else f"holds none of {list(cond.ids)}"
    if cond.kind == "product_has":
        ok = product is not None and cond.ids[0] in product.recognitions
        return ok, f"product {'has' if ok else 'lacks'} {cond.ids[0]}"
    results = [check(sub, plan, catalogue, product) for sub in cond.any_of]
    passed = [text for ok, text in results if ok]
    return bool(passed), passed[0] if passed else "none of: " + "; ".join(text for _, text in results)


def is_product_condition(cond: Condition) -> bool:
    """True for conditions tested per product (product recognitions, product.* fields, any-of those)."""
    if cond.kind == "any":
        return bool(cond.any_of) and all(is_product_condition(sub) for sub in cond.any_of)
    return cond.kind == "product_has" or cond.field.startswith("product.")


def _base(clause: Clause, plan: Plan, product: Product | None) -> tuple[Decimal, str]:
    values = [Decimal(field_value(plan, path, product)) for path in clause.amount.base]
    total = sum(values, Decimal(0))
    text = " + ".join(fmt_cny(v) for v in values)
    text = f"({text})" if len(values) > 1 else text
    limit = clause.amount.base_limit
    if limit:
        most = Decimal(field_value(plan, limit, product))
        if total > most:
            text = f"{fmt_cny(most)} (base limited to {limit} {fmt_cny(most)}; {text} stated)"
            total = most
    return total, text


def base_of(clause: Clause, plan: Plan, product: Product | None = None) -> Decimal:
    """The clause's base (after its limit) for a plan, e.g. the equipment investment a rate applies to."""
    if clause.amount.kind == "per_unit":
        return Decimal(field_value(plan, clause.amount.base[0], product))
    if not clause.amount.base:
        return Decimal(0)
    return _base(clause, plan, product)[0]


def _cap(amount: Decimal, clause: Clause, per_product: bool) -> tuple[Decimal, str]:
    notes = []
    for cap in clause.caps:
        if (cap.scope == "per_product") != per_product:
            continue
        hit = amount > cap.cny
        amount = min(amount, cap.cny)
        notes.append(f"cap {fmt_cny(cap.cny)} {_SCOPE_WORDS[cap.scope]}" + (" applied" if hit else ""))
    return amount, (", " + ", ".join(notes)) if notes else ""


@dataclass(frozen=True)
class Amount:
    """A computed amount (lower figure for ranges), its upper figure and the arithmetic text."""

    amount_cny: Decimal
    max_cny: Decimal
    text: str


def _one(clause: Clause, plan: Plan, product: Product | None) -> Amount:
    rule = clause.amount
    if rule.kind == "fixed":
        return Amount(rule.cny, rule.cny, f"fixed {fmt_cny(rule.cny)}")
    base, base_text = _base(clause, plan, product)
    if rule.kind == "rate":
        raw = rule.rate * base
        return Amount(raw, raw, f"{fmt_rate(rule.rate)} × {base_text} = {fmt_cny(raw)}")
    if rule.kind == "per_unit":
        units = (base / rule.unit_size).to_integral_value(ROUND_FLOOR) if rule.unit_size != 1 else base
        raw = rule.unit_cny * units
        per = f" per {fmt_cny(rule.unit_size)}" if rule.unit_size != 1 else ""
        return Amount(
            raw, raw, f"{fmt_cny(rule.unit_cny)}{per} × {fmt_cny(units)} {rule.unit} = {fmt_cny(raw)}"
        )
    low, high = max(rule.rate * base, rule.floor_cny), max(rule.rate_max * base, rule.floor_cny)
    text = (
        f"{fmt_rate(rule.rate)}–{fmt_rate(rule.rate_max)} × {base_text}, not less than {fmt_cny(rule.floor_cny)}"
        f" = {fmt_cny(low)}–{fmt_cny(high)} (the lower figure is counted)"
    )
    return Amount(low, high, text)


def compute(clause: Clause, plan: Plan, products: tuple[Product, ...]) -> Amount:
    """Apply the clause's amount rule and caps; per-product clauses sum over the eligible products."""
    if not clause.per_product:
        one = _one(clause, plan, None)
        low, cap_text = _cap(one.amount_cny, clause, per_product=False)
        high, _ = _cap(one.max_cny, clause, per_product=False)
        return Amount(
            low.quantize(FEN, ROUND_HALF_UP), high.quantize(FEN, ROUND_HALF_UP), one.text + cap_text
        )
    parts, low, high = [], Decimal(0), Decimal(0)
    for product in products:
        one = _one(clause, plan, product)
        item_low, cap_text = _cap(one.amount_cny, clause, per_product=True)
        item_high, _ = _cap(one.max_cny, clause, per_product=True)
        low, high = low + item_low, high + item_high
        parts.append(f"{product.name or 'product'}: {one.text}{cap_text}")
    total_low, cap_text = _cap(low, clause, per_product=False)
    total_high, _ = _cap(high, clause, per_product=False)
    text = "; ".join(parts) + (f"; total {fmt_cny(low)}{cap_text}" if len(parts) > 1 or cap_text else "")
    return Amount(total_low.quantize(FEN, ROUND_HALF_UP), total_high.quantize(FEN, ROUND_HALF_UP), text)
