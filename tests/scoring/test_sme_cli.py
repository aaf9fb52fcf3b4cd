"""`diagnose sme index` and `diagnose sme score` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from apps.cli import main

CASES = Path(__file__).parents[1] / "cases" / "sme"


def test_index_text_and_json() -> None:
    text = CliRunner().invoke(main, ["sme", "index"])
    assert text.exit_code == 0, text.output
    assert "M1 规划实施 7.5" in text.output and "能耗管理★" in text.output
    out = CliRunner().invoke(main, ["sme", "index", "--json"])
    index = json.loads(out.output)
    assert index["version"] == "sme-dl-2024.p1"
    assert len(index["items"]) == 15 and len(index["scenarios"]) == 16
    assert index["level_rule"]["confirmed"] is False


def test_score_a_golden_case_file() -> None:
    result = CliRunner().invoke(main, ["sme", "score", str(CASES / "no_level_high_score.json")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["level"], out["total"], out["notice_zh"]) == (0, "83.27", "以正式文件为准")


def test_bad_answer_is_a_clear_error(tmp_path: Path) -> None:
    case = json.loads((CASES / "level2.json").read_text(encoding="utf-8"))
    case["answers"]["items"]["F3"] = "70%"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["sme", "score", str(path)])
    assert result.exit_code != 0
    assert "F3: unknown option '70%'; allowed: le10, le20, le40, le60, gt60" in result.output
    del case["answers"]["items"]["F3"]
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    partial = CliRunner().invoke(main, ["sme", "score", "--allow-missing", str(path)])
    assert partial.exit_code == 0 and json.loads(partial.output)["missing"] == ["F3"]
