"""Why a subsidy line is not paid, in a few Chinese words a page can print beside ¥0 (失效于 …, 不在适用地区,
未达门槛 …), and why a whole estimate comes to nothing: from the engine's lines, the plan and
`scoring.subsidy.explain`."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.wording.catalogue import _
from diagnose.wording.subsidy_zh import check_zh, citation_zh, document_zh, explanation_zh
from scoring.subsidy.engine import Line, SubsidyResult
from scoring.subsidy.explain import explain
from scoring.subsidy.model import Catalogue, Clause
from scoring.subsidy.plan import Plan


@dataclass(frozen=True)
class Reason:
    """One unpaid line: its citation, target and the short reason."""

    clause_id: str
    citation: str
    target_name_zh: str
    reason: str
    in_region: bool
    out_of_force: bool = False  # expired or not yet in force (in the enterprise's region)


def _force_zh(clause: Clause, plan: Plan) -> str:
    if clause.applies_by == "award_year":
        late = clause.valid_to is not None and plan.year > clause.valid_to.year
    else:
        late = clause.valid_to is not None and plan.date > clause.valid_to
    if late and clause.valid_to is not None:
        return _("expired on %(date)s", date=clause.valid_to.isoformat())
    return _("not yet in force (from %(date)s)", date=clause.valid_from.isoformat())


def _out_of_force(line: Line, plan: Plan, catalogue: Catalogue) -> bool:
    clause = catalogue.clause(line.clause_id)
    return line.status == "out_of_force" and catalogue.is_under(plan.enterprise.region, clause.region)


def line_reason_zh(line: Line, result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> str:
    """The short reason a line pays nothing ('' for a paid line)."""
    if line.status == "paid":
        return ""
    clause = catalogue.clause(line.clause_id)
    if not catalogue.is_under(plan.enterprise.region, clause.region):
        region = catalogue.regions.get(clause.region)
        return _(
            "not in the eligible region (%(region)s)", region=region.name_zh if region else clause.region
        )
    if line.status == "out_of_force":
        return _force_zh(clause, plan)
    if line.status == "not_eligible":
        said = explain(line, result, plan, catalogue)
        assert said.code in ("condition_failed", "no_product", "zero_amount"), said.code
        # the failed condition alone (the long explanation says 不符合条件：… around it)
        why = check_zh(said.condition, catalogue) if said.condition else explanation_zh(said, catalogue)
        return _("below the threshold: %(why)s", why=why)
    if line.status == "not_computable":
        return _("only a ceiling, set by the authority; not in the total")
    if line.status == "superseded":
        return _("the higher amount only: the same item counts under another clause")
    return _("exclusive in the same year: counted under another clause")


def reasons_zh(result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> list[Reason]:
    """Every unpaid line with its reason, lines of the enterprise's own region first."""
    out = []
    for line in result.lines:
        if line.status == "paid":
            continue
        clause = catalogue.clause(line.clause_id)
        out.append(
            Reason(
                clause_id=line.clause_id,
                citation=citation_zh(clause),
                target_name_zh=line.target_name_zh,
                reason=line_reason_zh(line, result, plan, catalogue),
                in_region=catalogue.is_under(plan.enterprise.region, clause.region),
                out_of_force=_out_of_force(line, plan, catalogue),
            )
        )
    return sorted(out, key=lambda r: not r.in_region)


def zero_reason_zh(result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> str:
    """Why the sure total is ¥0, one clause per policy of the enterprise's region ('' when something is paid)."""
    if any(line.status == "paid" for line in result.lines):
        return ""
    by_policy: dict[str, list[Reason]] = {}
    for reason in reasons_zh(result, plan, catalogue):
        if reason.in_region:
            by_policy.setdefault(document_zh(catalogue.clause(reason.clause_id)), []).append(reason)
    if not by_policy:
        return _("the enterprise is outside the region of every subsidy policy on file")
    parts = []
    for policy, reasons in by_policy.items():
        expired = [r for r in reasons if r.out_of_force]
        shown = expired[0] if len(expired) == len(reasons) else next(r for r in reasons if not r.out_of_force)
        parts.append(f"{policy} {shown.reason}")
    return "；".join(parts)
