"""Evaluate a plan against the catalogue: a verdict per clause and the best lawful total (就高不重复)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from scoring.subsidy.model import LEVEL_RANK, Catalogue, Clause
from scoring.subsidy.plan import Plan, Product
from scoring.subsidy.rules import Amount, base_of, check, compute, fmt_cny, is_product_condition, to_fen

STATUSES = ("paid", "not_eligible", "superseded", "excluded", "out_of_force", "not_computable")


def fen_to_cny(amount_fen: int) -> str:
    """Format integer fen as a yuan string with two decimals: 40000000 -> '400000.00'."""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{fen:02d}"


def _yuan(amount_fen: int) -> str:
    return fmt_cny(Decimal(amount_fen) / 100)


# How a line's amount is known: "sure" (computed by the clause's rule and counted in the total),
# "ceiling" (the seed states only 最高/不超过 X: the bureau decides the amount, at most X), "none".
BASES = ("sure", "ceiling", "none")


@dataclass(frozen=True)
class Line:
    """The verdict on one clause: status, amount in fen, ceiling in fen and the explanation.

    The structured fields (rule, rate, base, caps, basis, decided_by) let a report explain the line in
    its own words without parsing `explanation`.
    """

    clause_id: str
    policy: str
    source_file: str
    clause: str
    target: str
    target_name_zh: str
    status: str
    amount_fen: int
    max_fen: int
    explanation: str
    quote: str
    basis: str = "none"
    rule: str = ""
    rate: str = ""
    base_cny: str = ""
    caps: tuple[tuple[str, str], ...] = ()
    decided_by: str = "application_date"
    in_force_text: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; amounts as yuan strings with two decimals plus exact integer fen."""
        return {
            "basis": self.basis,
            "ceiling_cny": fen_to_cny(self.max_fen) if self.basis == "ceiling" else None,
            "rule": self.rule,
            "rate": self.rate,
            "base_cny": self.base_cny,
            "caps": [{"cny": cny, "scope": scope} for cny, scope in self.caps],
            "decided_by": self.decided_by,
            "in_force": self.in_force_text,
            "note": self.note,
            "policy": self.policy,
            "source_file": self.source_file,
            "clause": self.clause,
            "clause_id": self.clause_id,
            "target": self.target,
            "target_name_zh": self.target_name_zh,
            "status": self.status,
            "amount_cny": fen_to_cny(self.amount_fen),
            "amount_fen": self.amount_fen,
            "max_cny": fen_to_cny(self.max_fen),
            "explanation": self.explanation,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class SubsidyResult:
    """All lines, the sure total, the upper bound counting 'up to' ceilings, and the catalogue version.

    `total_fen` holds only sure amounts; `ceilings_fen` (= upper bound − total) is what "up to" lines
    may add at most; the two are never mixed.
    """

    total_fen: int
    upper_bound_fen: int
    lines: tuple[Line, ...]
    catalogue_version: str = ""
    award_year: int = 0
    application_date: str = ""

    @property
    def ceilings_fen(self) -> int:
        """What the ceiling-only lines may add on top of the sure total, at most."""
        return self.upper_bound_fen - self.total_fen

    def line(self, clause_id: str) -> Line:
        """The line for one clause id (KeyError if absent)."""
        for item in self.lines:
            if item.clause_id == clause_id:
                return item
        raise KeyError(clause_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with total_cny, upper_bound_cny and lines."""
        return {
            "catalogue_version": self.catalogue_version,
            "application_date": self.application_date,
            "award_year": self.award_year,
            "total_cny": fen_to_cny(self.total_fen),
            "total_fen": self.total_fen,
            "sure_cny": fen_to_cny(self.total_fen),
            "ceilings_cny": fen_to_cny(self.ceilings_fen),
            "ceiling_clauses": [line.clause_id for line in self.lines if line.basis == "ceiling"],
            "upper_bound_cny": fen_to_cny(self.upper_bound_fen),
            "upper_bound_fen": self.upper_bound_fen,
            "lines": [line.to_dict() for line in self.lines],
        }


@dataclass(frozen=True)
class _Verdict:
    status: str
    explanation: str
    amount: Amount | None = None
    force_text: str = ""


def _window(clause: Clause) -> str:
    end = clause.valid_to.isoformat() if clause.valid_to else "no end date"
    return f"{clause.valid_from.isoformat()} to {end}"


def _applies(clause: Clause, plan: Plan) -> bool:
    if clause.applies_by == "award_year":
        last = clause.valid_to.year if clause.valid_to else None
        return clause.valid_from.year <= plan.year and (last is None or plan.year <= last)
    return clause.valid_from <= plan.date and (clause.valid_to is None or plan.date <= clause.valid_to)


def in_force(clause: Clause, plan: Plan) -> tuple[bool, str]:
    """Whether the clause applies to the plan, and which rule decided: award year or application date."""
    applied = plan.date.isoformat()
    if clause.applies_by == "award_year":
        first, last = clause.valid_from.year, clause.valid_to.year if clause.valid_to else None
        ok = first <= plan.year and (last is None or plan.year <= last)
        years = f"{first}" if last == first else f"{first}–{last or 'open'}"
        given = (
            "" if plan.award_year_given else " (the application date's year; the plan gives no award_year)"
        )
        return ok, (
            f"the award year decides (年度 policy for {years}): award year {plan.year}{given} "
            f"{'is' if ok else 'is not'} covered; applied for on {applied}"
        )
    ok = clause.valid_from <= plan.date and (clause.valid_to is None or plan.date <= clause.valid_to)
    return ok, (
        f"the application date decides: {applied} {'is' if ok else 'is not'} within {_window(clause)}"
    )


def _judge(clause: Clause, plan: Plan, catalogue: Catalogue) -> _Verdict:
    region = plan.enterprise.region
    if not catalogue.is_under(region, clause.region):
        here, there = catalogue.regions[region].name_zh, catalogue.regions[clause.region].name_zh
        return _Verdict(
            "not_eligible", f"enterprise region {region} ({here}) is not under {clause.region} ({there})"
        )
    if not _applies(clause, plan):
        rule_text = in_force(clause, plan)[1]
        why = f"not in force: {rule_text}"
        if clause.replaced_by:
            why += f"; replaced by {clause.replaced_by} ({catalogue.clause(clause.replaced_by).citation})"
        return _Verdict("out_of_force", why, force_text=rule_text)
    verdict = _judge_in_force(clause, plan, catalogue)
    if verdict.status in ("paid", "not_computable"):  # the sentence is built only where it is shown
        return replace(verdict, force_text=in_force(clause, plan)[1])
    return verdict


def _judge_in_force(clause: Clause, plan: Plan, catalogue: Catalogue) -> _Verdict:
    passed: list[str] = []
    for cond in clause.conditions:
        if is_product_condition(cond):
            continue
        ok, text = check(cond, plan, catalogue)
        if not ok:
            return _Verdict("not_eligible", text)
        passed.append(text)
    products: tuple[Product, ...] = ()
    if clause.per_product:
        product_conds = [c for c in clause.conditions if is_product_condition(c)]
        products = tuple(
            p for p in plan.products if all(check(c, plan, catalogue, p)[0] for c in product_conds)
        )
        if not products:
            needs = "; ".join(check(c, plan, catalogue, Product())[1] for c in product_conds)
            return _Verdict("not_eligible", f"no product in the plan qualifies ({needs})")
    rule = clause.amount
    if rule.kind == "not_computable":
        return _Verdict("not_computable", rule.reason)
    if rule.kind == "up_to":
        text = (
            f"up to {fmt_cny(rule.cny)} (a ceiling, not a sure amount): the seed states only 最高/不超过, "
            "no rule for the amount; the bureau decides it"
        )
        return _Verdict("not_computable", text, Amount(Decimal(0), rule.cny, text))
    amount = compute(clause, plan, products)
    if amount.amount_cny <= 0:
        return _Verdict("not_eligible", f"computed amount is 0 ({amount.text})")
    reasons = "; ".join(passed)
    return _Verdict("paid", amount.text + (f" [{reasons}]" if reasons else ""), amount)


def _conflicts(a: Clause, b: Clause) -> bool:
    return bool(a.targets & b.targets) or (
        a.exclusion_group is not None and a.exclusion_group == b.exclusion_group
    )


def _best_in_component(component: list[tuple[Clause, int]]) -> list[tuple[Clause, int]]:
    """Exact search over the independent subsets of one small conflict component."""
    best: tuple[int, int] = (-1, 0)
    best_set: list[tuple[Clause, int]] = []

    def search(index: int, picked: list[tuple[Clause, int]]) -> None:
        nonlocal best, best_set
        if index == len(component):
            score = (sum(f for _, f in picked), -sum(LEVEL_RANK[c.level] for c, _ in picked))
            if score > best:
                best, best_set = score, list(picked)
            return
        item = component[index]
        if not any(_conflicts(item[0], c) for c, _ in picked):
            search(index + 1, [*picked, item])
        search(index + 1, picked)

    search(0, [])
    return best_set


def best_selection(candidates: Sequence[tuple[Clause, int]]) -> set[str]:
    """Pick the clause set with the highest total such that no two share a target or an exclusion group.

    Components of the conflict graph are enumerated exactly (they are small); ties go to the higher
    jurisdiction level, since 001 注意事项2 says to apply for city-level and higher policies first.
    """
    chosen: set[str] = set()
    remaining = list(candidates)
    while remaining:
        component = [remaining.pop(0)]
        grew = True
        while grew:
            grew = False
            for item in list(remaining):
                if any(_conflicts(item[0], c[0]) for c in component):
                    component.append(item)
                    remaining.remove(item)
                    grew = True
        chosen.update(c.id for c, _ in _best_in_component(component))
    return chosen


def evaluate(plan: Plan, catalogue: Catalogue) -> SubsidyResult:
    """Judge every clause for the plan and total the best lawful combination (exact, in fen)."""
    verdicts = {clause.id: _judge(clause, plan, catalogue) for clause in catalogue.clauses}
    by_id = {clause.id: clause for clause in catalogue.clauses}
    paid = [
        (by_id[i], to_fen(v.amount.amount_cny))
        for i, v in verdicts.items()
        if v.status == "paid" and v.amount
    ]
    paid_fen = {c.id: f for c, f in paid}
    chosen = best_selection(paid)
    ceilings = [
        (by_id[i], to_fen(v.amount.max_cny))
        for i, v in verdicts.items()
        if v.amount is not None and v.status in ("paid", "not_computable")
    ]
    upper = best_selection(ceilings)
    upper_fen = sum(f for c, f in ceilings if c.id in upper)
    lines: list[Line] = []
    for clause in catalogue.clauses:
        verdict = verdicts[clause.id]
        status, text = verdict.status, verdict.explanation
        amount_fen = to_fen(verdict.amount.amount_cny) if verdict.amount else 0
        max_fen = to_fen(verdict.amount.max_cny) if verdict.amount else 0
        if status in ("paid", "not_computable") and clause.id not in chosen:
            winner = next((by_id[c] for c in sorted(chosen) if _conflicts(by_id[c], clause)), None)
            if winner is not None and status == "not_computable":
                text += f"; same target as paid {winner.id} ({winner.citation}): 就高不重复 pays only the higher one"
            elif winner is not None and winner.targets & clause.targets:
                status = "superseded"
                text = (
                    f"就高不重复: same target {clause.target} is paid by {winner.id} ({winner.citation}), "
                    f"{_yuan(paid_fen[winner.id])} ≥ {_yuan(amount_fen)}; this clause would give {text}"
                )
            elif winner is not None:
                status = "excluded"
                text = (
                    f"{clause.exclusion_rule}: mutually exclusive with {winner.id} ({winner.citation}), "
                    f"which pays {_yuan(paid_fen[winner.id])}; this clause would give {text}"
                )
        if status != "paid":
            amount_fen = 0
        if clause.quota and status == "paid":
            text += f"; quota: at most {clause.quota.per_year} {clause.quota.unit} a year, selected 择优"
        force_text = verdict.force_text
        if status in ("paid", "not_computable"):
            text += f"; in force: {force_text}" + (f"; note: {clause.note}" if clause.note else "")
        rule = clause.amount
        if status == "paid":
            basis = "sure"
        elif status in ("not_computable", "superseded", "excluded") and rule.kind == "up_to" and max_fen:
            basis = "ceiling"
        else:
            basis = "none"
        shown = basis != "none" or status in ("superseded", "excluded")
        has_base = shown and rule.kind in ("rate", "range", "per_unit") and not clause.per_product
        lines.append(
            Line(
                clause_id=clause.id,
                policy=clause.policy,
                source_file=clause.source_file,
                clause=clause.clause,
                target=clause.target,
                target_name_zh=catalogue.targets[clause.target].name_zh,
                status=status,
                amount_fen=amount_fen,
                max_fen=max_fen if status in ("paid", "not_computable") or basis == "ceiling" else 0,
                explanation=text,
                quote=clause.quote,
                basis=basis,
                rule=rule.kind,
                rate=str(rule.rate) if rule.kind in ("rate", "range") else "",
                base_cny=fen_to_cny(to_fen(base_of(clause, plan))) if has_base else "",
                caps=tuple((fen_to_cny(to_fen(cap.cny)), cap.scope) for cap in clause.caps) if shown else (),
                decided_by=clause.applies_by,
                in_force_text=force_text,
                note=clause.note,
            )
        )
    total = sum(line.amount_fen for line in lines)
    return SubsidyResult(
        total_fen=total,
        upper_bound_fen=max(upper_fen, total),
        lines=tuple(lines),
        catalogue_version=catalogue.version,
        award_year=plan.year,
        application_date=plan.date.isoformat(),
    )
