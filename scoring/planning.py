"""Where the roadmap meets the subsidy engine: what a set of improvement actions would earn."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from scoring.maturity import Investments
from scoring.subsidy import Catalogue, SubsidyResult, evaluate, load_catalogue, parse_plan


def plan_for_investments(
    investments: Investments,
    *,
    region: str,
    date: str,
    industry: str = "C",
    strategic_emerging: bool = False,
    sme_level: int = 0,
) -> dict[str, Any]:
    """The subsidy plan (the `diagnose subsidy` format) for a roadmap's cumulative investments; `sme_level`
    the enterprise's SME digital level (0: none rated), sent only when rated."""
    enterprise: dict[str, Any] = {
        "region": region,
        "industry": industry,
        "strategic_emerging": strategic_emerging,
    }
    if sme_level:
        enterprise["sme_level"] = sme_level
    return {
        "date": date,
        "enterprise": enterprise,
        "investments": {
            "equipment_cny": investments.equipment_cny,
            "it_cny": investments.it_cny,
            "robots_cny": investments.robots_cny,
            "energy_saved_tce": str(investments.energy_saved_tce),
        },
        "recognitions": sorted(set(investments.recognitions)),
    }


def subsidy_result(
    investments: Investments, *, region: str, date: str, catalogue: Catalogue | None = None, **enterprise: Any
) -> SubsidyResult:
    """The engine's clause-by-clause verdict on these investments."""
    cat = catalogue or load_catalogue()
    plan = parse_plan(plan_for_investments(investments, region=region, date=date, **enterprise), cat)
    return evaluate(plan, cat)


def subsidy_for_investments(
    investments: Investments, *, region: str, date: str, catalogue: Catalogue | None = None, **enterprise: Any
) -> int:
    """Sure subsidy in whole yuan (rounded down: a plan never promises a fen it may not get; no ceilings)."""
    return (
        subsidy_result(investments, region=region, date=date, catalogue=catalogue, **enterprise).total_fen
        // 100
    )


def subsidy_function(
    *, region: str, date: str, catalogue: Catalogue | None = None, **enterprise: Any
) -> Callable[[Investments], int]:
    """The `subsidy_fn` the roadmap planner takes, bound to one enterprise, date and catalogue."""
    return lambda investments: subsidy_for_investments(
        investments, region=region, date=date, catalogue=catalogue, **enterprise
    )


@cache
def _sections() -> tuple[tuple[int, int, str], ...]:
    raw = json.loads(
        resources.files("scoring.data").joinpath("gbt4754_sections.json").read_text(encoding="utf-8")
    )
    return tuple((s["first"], s["last"], s["section"]) for s in raw["sections"])


def industry_section(industry_code: str) -> str:
    """The GB/T 4754-2017 section letter of an industry code: a class, group or division ("3484", "34" → "C"),
    the same prefixed by its section ("C34", "C3484" → "C"), or a bare section ("C"); "" if unknown."""
    text = industry_code.strip().upper()
    letter, digits = (text[:1], text[1:]) if text[:1].isalpha() else ("", text)
    known = {section for _first, _last, section in _sections()}
    if not digits:
        return letter if letter in known else ""
    if len(digits) < 2 or not digits[:2].isdigit():
        return ""
    division = int(digits[:2])
    section = next((s for first, last, s in _sections() if first <= division <= last), "")
    return section if not letter or letter == section else ""
