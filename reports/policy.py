"""Subsidy lines as a Chinese deliverable cites them: issuer, document number, clause, and a Chinese verdict."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from diagnose.wording import subsidy_zh as zh
from reports.data import SubsidyLine
from scoring import planning
from scoring.maturity import Investments
from scoring.subsidy import Catalogue, Line, SubsidyResult, load_catalogue, parse_plan


def _line(raw: Mapping[str, Any]) -> Line:
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


def investments_of(detail: Mapping[str, Any]) -> Investments:
    """The roadmap's cumulative investments as stored with the result."""
    raw = (detail.get("roadmap") or {}).get("investments") or {}
    return Investments(
        equipment_cny=int(raw.get("equipment_cny", 0)),
        it_cny=int(raw.get("it_cny", 0)),
        robots_cny=int(raw.get("robots_cny", 0)),
        energy_saved_tce=int(float(raw.get("energy_saved_tce", 0) or 0)),
        recognitions=tuple(raw.get("recognitions", ())),
    )


def localise(
    lines: tuple[SubsidyLine, ...],
    detail: Mapping[str, Any],
    *,
    region: str,
    on: str,
    industry: str,
    strategic_emerging: bool,
) -> tuple[SubsidyLine, ...]:
    """The stored lines with Chinese citation and explanation, and whether each belongs in the main text."""
    catalogue = load_catalogue()
    known = {c.id for c in catalogue.clauses}
    raw = planning.plan_for_investments(
        investments_of(detail),
        region=region,
        date=on,
        industry=industry,
        strategic_emerging=strategic_emerging,
    )
    plan = parse_plan(raw, catalogue)
    stored = (detail.get("subsidy") or {}).get("lines", [])
    engine_lines = tuple(_line(r) for r in stored if r.get("clause_id") in known)
    result = SubsidyResult(0, 0, engine_lines)
    by_id = {line.clause_id: line for line in engine_lines}
    out = []
    for line in lines:
        engine_line = by_id.get(line.clause_id)
        if engine_line is None:
            out.append(dataclasses.replace(line, main=line.status not in ("out_of_force", "not_eligible")))
            continue
        clause = catalogue.clause(line.clause_id)
        out.append(
            dataclasses.replace(
                line,
                explanation=english(line.explanation, catalogue),
                citation_zh=zh.citation_zh(clause),
                document_zh=zh.document_zh(clause),
                clause_zh=zh.clause_zh(clause.policy, clause.clause),
                explanation_zh=zh.explain_zh(engine_line, result, plan, catalogue),
                main=zh.in_main_text(engine_line),
            )
        )
    return tuple(out)


SEED_CITATION = re.compile(r"\s*\(\d{3}_[0-9a-f]+\.txt clause [^)]*\)")


def english(text: str, catalogue: Catalogue) -> str:
    """The engine's English verdict with seed file names dropped and clause ids as document and clause."""
    text = SEED_CITATION.sub("", text)
    for clause in sorted(catalogue.clauses, key=lambda c: -len(c.id)):
        if clause.id in text:
            text = re.sub(
                rf"(?<![\w-]){re.escape(clause.id)}(?![\w-])", f"{clause.number} clause {clause.clause}", text
            )
    return text


# "未计划申报「省级示范智能工厂」" differs per clause only by the target, which the row lists anyway.
GROUPED = re.compile(r"(未计划申报|未具备也未申报|产品不具备)「[^」]*」")
GROUPED_AS = r"\1所列补贴事项"


def appendix_rows(lines: tuple[SubsidyLine, ...] | list[SubsidyLine], lang: str) -> list[dict[str, Any]]:
    """Clauses left out of the main text, one row per document, verdict and reason (a compact table)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in lines:
        zh_text = lang == "zh" and bool(line.citation_zh)
        document = line.document_zh or line.policy
        clause = line.clause_zh if zh_text else f"clause {line.clause}"
        reason = line.explanation_zh if lang == "zh" and line.explanation_zh else line.explanation
        reason = GROUPED.sub(GROUPED_AS, reason) if lang == "zh" else reason
        row = rows.setdefault(
            (document, line.status, reason),
            {"document": document, "status": line.status, "reason": reason, "clauses": [], "targets": []},
        )
        if clause not in row["clauses"]:
            row["clauses"].append(clause)
        if line.target_name_zh not in row["targets"]:
            row["targets"].append(line.target_name_zh)
    return list(rows.values())


def in_main(line: SubsidyLine) -> bool:
    """Main text or appendix; a line stored before `main` existed goes by its status."""
    if line.citation_zh:
        return line.main
    return line.status not in ("out_of_force", "not_eligible")
