"""`diagnose model` and `diagnose score` through click's CliRunner."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from apps.cli.scoring import model_command, score_command

EXAMPLE = Path(__file__).parents[1] / "cases" / "maturity" / "worked_example.json"


def test_model_json_lists_requirements() -> None:
    result = CliRunner().invoke(model_command, ["--json"])
    assert result.exit_code == 0, result.output
    model = json.loads(result.output)
    assert len(model["subdomains"]) == 20
    req = model["requirements"][0]
    assert {"id", "subdomain", "level", "industry"} <= set(req)
    assert all(
        r["level"] in range(1, 6) and r["industry"] in {"discrete", "process", "both"}
        for r in model["requirements"]
    )


def test_model_text_summary() -> None:
    result = CliRunner().invoke(model_command, [])
    assert result.exit_code == 0 and "产品服务" in result.output


def test_score_worked_example() -> None:
    result = CliRunner().invoke(score_command, [str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["level"] == 2 and out["score"] == 2.4656
    assert out["level_scores"] == [1.0, 0.9656, 0.5, 0.0, 0.0]
    assert {"elements", "domains", "subdomains", "versions", "input_hash"} <= set(out)
    assert len(out["input_hash"]) == 64


def test_score_excludes_requirements_of_the_other_industry(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"industry_type": "discrete", "answers": {"EQ-L2-03": 1}}), encoding="utf-8")
    out = json.loads(CliRunner().invoke(score_command, [str(path)]).output)
    assert out["excluded_by_industry"] == ["EQ-L2-03"] and out["score"] == 0.0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"industry_type": "textile", "answers": {}}, "industry_type"),
        ({"industry_type": "discrete", "answers": {"XX-L9-01": 1}}, "answers.XX-L9-01"),
        ({"industry_type": "discrete", "answers": {"NW-L2-01": 0.7}}, "answers.NW-L2-01"),
        ({"industry_type": "discrete", "answers": {"NW-L2-01": True}}, "answers.NW-L2-01"),
        ({"industry_type": "discrete", "answers": ["NW-L2-01"]}, "answers"),
    ],
)
def test_score_bad_input_names_the_field(tmp_path: Path, payload: dict, field: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    result = CliRunner().invoke(score_command, [str(path)])
    assert result.exit_code != 0
    assert f"'{field}'" in result.output


def test_score_rejects_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(score_command, [str(path)])
    assert result.exit_code != 0 and "not valid JSON" in result.output
