"""Golden OEE cases (tests/cases/oee/*.json) against the raw-sample and the hourly roll-up paths."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from scoring.indicators import (
    CalendarEntry,
    CounterSample,
    DowntimeReason,
    OeeResult,
    StateSample,
    Window,
    hourly_aggregates,
    oee,
    oee_from_aggregates,
)

CASES = sorted((Path(__file__).parents[1] / "cases" / "oee").glob("*.json"))


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def inputs(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "states": [StateSample(ts(t), s) for t, s in case["states"]],
        "counters": [CounterSample(ts(t), seq, total, good) for t, seq, total, good in case["counters"]],
        "window": Window(ts(case["window"][0]), ts(case["window"][1])),
        "calendar": [CalendarEntry(ts(a), ts(b), label=label) for a, b, label in case["calendar"]],
        "reasons": [DowntimeReason(ts(a), ts(b), code) for a, b, code in case["reasons"]],
    }


def frac(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def assert_matches(result: OeeResult, expected: dict[str, Any], *, with_state_breakdown: bool = True) -> None:
    for name in ("availability", "performance", "quality", "oee"):
        assert getattr(result, name) == frac(expected[name]), name
    assert (result.planned_s, result.run_s) == (Fraction(expected["planned_s"]), Fraction(expected["run_s"]))
    assert (result.total_count, result.good_count) == (expected["total_count"], expected["good_count"])
    assert dict(result.downtime_by_reason) == {
        k: Fraction(v) for k, v in expected["downtime_by_reason"].items()
    }
    # Unknown planned time is its own category (issue #22): never in a downtime breakdown.
    assert result.unknown_planned_s == Fraction(expected["unknown_planned_s"])
    assert "UNKNOWN" not in result.downtime_by_state
    if with_state_breakdown:
        assert dict(result.downtime_by_state) == {
            k: Fraction(v) for k, v in expected["downtime_by_state"].items()
        }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case_from_raw_samples(path: Path) -> None:
    case = load(path)
    assert case["source"], "every golden case names its source"
    args = inputs(case)
    result = oee(
        args["states"],
        args["counters"],
        args["window"],
        ideal_cycle_s=case["ideal_cycle_s"],
        silence_timeout_s=case["silence_timeout_s"],
        calendar=args["calendar"],
        reasons=args["reasons"],
    )
    assert_matches(result, case["expected"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case_from_hourly_aggregates_equals_raw(path: Path) -> None:
    case = load(path)
    args = inputs(case)
    window: Window = args["window"]
    hours = [
        window.start + timedelta(hours=h)
        for h in range(int((window.end - window.start) / timedelta(hours=1)))
    ]
    aggregates = [
        hourly_aggregates(
            args["states"],
            args["counters"],
            [],
            hour,
            silence_timeout_s=case["silence_timeout_s"],
            calendar=args["calendar"],
            reasons=args["reasons"],
        )
        for hour in hours
    ]
    assert_matches(
        oee_from_aggregates(aggregates, ideal_cycle_s=case["ideal_cycle_s"]),
        case["expected"],
        with_state_breakdown=False,
    )
