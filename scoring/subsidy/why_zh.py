"""Why a subsidy line is not paid, in a few Chinese words a page can print beside ¥0 (失效于 …, 不在适用地区,
未达门槛 …), and why a whole estimate comes to nothing: pure functions of the engine's lines and the plan."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.subsidy.engine import Line, SubsidyResult
from scoring.subsidy.explain_zh import citation_zh, document_zh, explain_zh
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


def _force_zh(clause: Clause, plan: Plan) -> str:
    if clause.applies_by == "award_year":
        late = clause.valid_to is not None and plan.year > clause.valid_to.year
    else:
        late = clause.valid_to is not None and plan.date > clause.valid_to
    if late and clause.valid_to is not None:
        return f"失效于 {clause.valid_to.isoformat()}"
    return f"未生效（{clause.valid_from.isoformat()} 起施行）"


def line_reason_zh(line: Line, result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> str:
    """The short reason a line pays nothing ('' for a paid line)."""
    if line.status == "paid":
        return ""
    clause = catalogue.clause(line.clause_id)
    if not catalogue.is_under(plan.enterprise.region, clause.region):
        region = catalogue.regions.get(clause.region)
        return f"不在适用地区（{region.name_zh if region else clause.region}）"
    if line.status == "out_of_force":
        return _force_zh(clause, plan)
    if line.status == "not_eligible":
        text = explain_zh(line, result, plan, catalogue).rstrip("。")
        return "未达门槛：" + text.removeprefix("不符合条件：")
    if line.status == "not_computable":
        return "仅规定上限，由主管部门核定，不计入合计"
    if line.status == "superseded":
        return "就高不重复：同一事项已按其他条款计"
    return "同年互斥：已按其他条款计"


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
            )
        )
    return sorted(out, key=lambda r: not r.in_region)


def zero_reason_zh(result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> str:
    """Why the sure total is ¥0, one clause per policy of the enterprise's region ('' when something is paid)."""
    if any(line.status == "paid" for line in result.lines):
        return ""
    by_policy: dict[str, list[str]] = {}
    for reason in reasons_zh(result, plan, catalogue):
        if reason.in_region:
            key = document_zh(catalogue.clause(reason.clause_id))
            by_policy.setdefault(key, []).append(reason.reason)
    if not by_policy:
        return "企业所在地不在任何已录入补贴政策的适用地区"
    parts = []
    for policy, reasons in by_policy.items():
        expired = [r for r in reasons if r.startswith(("失效于", "未生效"))]
        if len(expired) == len(reasons):
            parts.append(f"{policy} {expired[0]}")
        else:
            parts.append(f"{policy} {next(r for r in reasons if not r.startswith(('失效于', '未生效')))}")
    return "；".join(parts)
