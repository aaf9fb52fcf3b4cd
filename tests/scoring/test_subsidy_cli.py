"""`diagnose subsidy` through click's CliRunner: JSON output, targets, what-if and field-named errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apps.cli.subsidy import subsidy_command

PLAN = {
    "date": "2024-06-01",
    "enterprise": {"region": "320412", "industry": "C"},
    "investments": {"equipment_cny": 8000000},
}


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    """A valid Wujin plan written to a temp file."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    """Invoke the command with separate stdout and stderr."""
    return CliRunner().invoke(subsidy_command, list(args))


def test_prints_total_and_lines(plan_file: Path) -> None:
    result = run(str(plan_file))
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["total_cny"] == "400000.00"
    retrofit = next(line for line in payload["lines"] if line["clause_id"] == "wj24-1-retrofit")
    assert retrofit["status"] == "paid" and retrofit["amount_cny"] == "400000.00"
    assert "5% × (8,000,000 + 0 + 0) = 400,000, cap 500,000 per enterprise" in retrofit["explanation"]
    assert {"policy", "clause", "target", "amount_cny", "status", "explanation"} <= set(retrofit)


def test_targets_json_lists_every_target_with_its_name() -> None:
    result = run("--targets", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    names = {row["id"]: row["name_zh"] for row in rows}
    assert names["smart_workshop_provincial_demo"] == "省级示范智能车间"
    assert len(names) == len(rows) > 100


def test_what_if_reports_the_marginal_subsidy(plan_file: Path) -> None:
    result = run(str(plan_file), "--what-if", "investments.equipment_cny=+1000000")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert (payload["delta_cny"], payload["marginal_per_unit"]) == ("50000.00", "0.05")


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            {**PLAN, "investments": {"equipment_cny": -5}},
            "investments.equipment_cny: must be a non-negative number of yuan",
        ),
        ({**PLAN, "investments": {"equipment": 5}}, "investments.equipment: unknown field"),
        ({**PLAN, "enterprise": {"region": "110000"}}, "enterprise.region: unknown region code '110000'"),
    ],
)
def test_bad_field_exits_2_naming_the_field(tmp_path: Path, plan: dict[str, Any], message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--what-if", "investments.gold_cny=+1"],
            "investments.gold_cny: what-if needs a numeric plan field",
        ),
        (["--what-if", "investments.equipment_cny=+abc"], "investments.equipment_cny: what-if value"),
    ],
)
def test_bad_what_if_exits_2(plan_file: Path, args: list[str], message: str) -> None:
    result = run(str(plan_file), *args)
    assert result.exit_code == 2 and message in result.stderr


def test_unreadable_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
