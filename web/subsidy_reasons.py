"""Why a result's subsidy estimate pays nothing, line by line, for the pages that show it (the report's appendix
says the same at length): the stored lines re-read with the plan the scoring sized them for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diagnose.models import Enterprise, Result
from diagnose.wording.subsidy_why_zh import Reason, reasons_zh, zero_reason_zh
from reports.policy import investments_of
from scoring import planning
from scoring.china_time import CHINA_TZ
from scoring.subsidy import Line, SubsidyResult, load_catalogue, parse_plan


@dataclass(frozen=True)
class SubsidyWhy:
    """The zero total's reason ('' when something is paid) and each unpaid line's reason, by clause id."""

    zero: str = ""
    lines: list[Reason] = field(default_factory=list)
    by_clause: dict[str, str] = field(default_factory=dict)


def _line(raw: dict[str, Any]) -> Line:
    return Line(
        clause_id=raw.get("clause_id", ""),
        policy=raw.get("policy", ""),
        source_file=raw.get("source_file", ""),
        clause=str(raw.get("clause", "")),
        target=raw.get("target", ""),
        target_name_zh=raw.get("target_name_zh", ""),
        status=raw.get("status", ""),
        amount_fen=int(raw.get("amount_fen", 0)),
        max_fen=int(raw.get("max_fen", 0) or 0),
        explanation=raw.get("explanation", ""),
        quote=raw.get("quote", ""),
    )


def of_result(result: Result, enterprise: Enterprise | None) -> SubsidyWhy:
    """The reasons for a stored result (empty when it has no subsidy section or no enterprise)."""
    detail = result.detail or {}
    subsidy = detail.get("subsidy") or {}
    if not subsidy or enterprise is None:
        return SubsidyWhy()
    catalogue = load_catalogue()
    known = {c.id for c in catalogue.clauses}
    on = subsidy.get("application_date") or result.created_at.astimezone(CHINA_TZ).date().isoformat()
    plan = parse_plan(
        planning.plan_for_investments(
            investments_of(detail),
            region=enterprise.region_code,
            date=on,
            industry=planning.industry_section(enterprise.industry_code) or "C",
            strategic_emerging=enterprise.strategic_emerging,
        ),
        catalogue,
    )
    lines = tuple(_line(r) for r in subsidy.get("lines", []) if r.get("clause_id") in known)
    engine = SubsidyResult(sum(x.amount_fen for x in lines), 0, lines)
    reasons = reasons_zh(engine, plan, catalogue)
    return SubsidyWhy(
        zero=zero_reason_zh(engine, plan, catalogue),
        lines=reasons,
        by_clause={r.clause_id: r.reason for r in reasons},
    )
