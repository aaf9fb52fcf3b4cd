"""`diagnose supervision` commands against the fixture database."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from apps.cli.supervision import supervision_command
from diagnose.settings import Settings
from tests.supervision.conftest import World


def _run(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(supervision_command, list(args), obj=settings, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_flags_performance_and_subsidy(db_settings: Settings, world: World, tmp_path: Path) -> None:
    lines = [
        json.loads(x)
        for x in _run(db_settings, "flags", "--bureau", str(world.wujin)).splitlines()
        if x.startswith("{")
    ]
    assert {x["kind"] for x in lines} == {"claim_contradicted", "visit_without_telemetry"}
    xlsx = tmp_path / "绩效.xlsx"
    _run(
        db_settings,
        "performance",
        "--bureau",
        str(world.wujin),
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--xlsx",
        str(xlsx),
    )
    assert load_workbook(io.BytesIO(xlsx.read_bytes())).active["A2"].value == "常州智造咨询有限公司"
    (row,) = [json.loads(x) for x in _run(db_settings, "provider-subsidy", "--year", "2026").splitlines()]
    # Two Wujin orders of 150,000 yuan: far below clause 7's 8,000,000 and 5 enterprises.
    assert (row["local_contract_cny"], row["local_enterprises"], row["status"]) == (
        "300000.00",
        2,
        "not_eligible",
    )


def test_train_model_refuses_too_few_records(db_settings: Settings, world: World) -> None:
    result = CliRunner().invoke(supervision_command, ["train-model"], obj=db_settings)
    assert result.exit_code == 1 and "at least" in result.output
