"""A corrected version of the SME index: validated as the packaged one is, diffed against it, and refused
when it changes data under the same version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from apps.cli import main
from scoring.sme import load_index, score_answers
from scoring.sme.versions import check_import, diff_index

CASES = Path(__file__).parents[1] / "cases" / "sme"


def _corrected() -> dict[str, Any]:
    raw: dict[str, Any] = load_index().model_dump(mode="json")
    raw["version"] = "sme-dl-2024.p2"
    raw["level_rule"]["confirmed"] = True
    raw["constraints"]["confirmed"] = True
    raw["scenarios"][13]["constraint"] = True  # hr becomes ★
    raw["items"][0]["options"].pop()  # F1 loses 全面覆盖 …
    raw["items"][0]["options"][0]["points"] = "4"  # … and 工控网络 is worth 4
    return raw


def test_identical_version_has_no_changes() -> None:
    assert diff_index(load_index(), load_index()) == ()


def test_diff_names_each_change() -> None:
    new, changes = check_import(_corrected(), load_index())
    paths = {c.path: c for c in changes}
    assert set(paths) == {
        "version",
        "level_rule.confirmed",
        "constraints.confirmed",
        "scenarios.hr.constraint",
        "items.F1.options.full_coverage",
        "items.F1.options.industrial_network.points",
    }
    # Each said in words: the item, the option by its text, the field (the path stays for tools).
    assert paths["items.F1.options.industrial_network.points"].text_zh == (
        "网络建设·企业网络建设连接情况·选项“车间建成工控网络，支持自动化控制应用”·分值：2 → 4"
    )
    assert paths["items.F1.options.full_coverage"].text_zh.startswith(
        "删除 网络建设·企业网络建设连接情况·选项“网络全面覆盖"
    )
    assert paths["scenarios.hr.constraint"].text_zh == "管理决策·人力资源·约束性（★）：否 → 是"
    assert paths["level_rule.confirmed"].text_zh == "定级规则·已证实：否 → 是"
    assert not any(c.text_zh.isascii() or "items." in c.text_zh for c in changes)
    assert paths["scenarios.hr.constraint"].new == "True"
    assert new.version == "sme-dl-2024.p2"


def test_results_follow_the_version_that_scored_them() -> None:
    new, _ = check_import(_corrected(), load_index())
    answers = json.loads((CASES / "level1_short_of_constraint.json").read_text(encoding="utf-8"))["answers"]
    answers["items"]["F1"] = ["industrial_network"]
    old = score_answers(answers)
    corrected = score_answers(answers, index=new)
    assert (old.index_version, corrected.index_version) == ("sme-dl-2024.p1", "sme-dl-2024.p2")
    assert corrected.total - old.total == 2
    # with the rule and the ★ set confirmed, only the still unconfirmed items carry the notice
    assert {u.kind for u in corrected.unconfirmed} == {"item", "scenario"}


def test_same_version_with_other_data_is_refused() -> None:
    raw = _corrected()
    raw["version"] = load_index().version
    with pytest.raises(ValueError, match=r"keeps version 'sme-dl-2024\.p1'"):
        check_import(raw, load_index())


def test_malformed_correction_is_refused() -> None:
    raw = _corrected()
    raw["items"][0]["points"] = "10"
    with pytest.raises(ValidationError, match="item F1: multi options add up to 8, not 10"):
        check_import(raw, load_index())


def test_cli_check_index(tmp_path: Path) -> None:
    path = tmp_path / "index.json"
    path.write_text(json.dumps(_corrected(), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["sme", "check-index", str(path)])
    assert result.exit_code == 0, result.output
    assert "sme-dl-2024.p1 → sme-dl-2024.p2：满分 100 → 100；定级规则已确认" in result.output
    assert "管理决策·人力资源·约束性（★）：否 → 是" in result.output
    raw = _corrected()
    raw["items"][0]["points"] = "10"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    bad = CliRunner().invoke(main, ["sme", "check-index", str(path)])
    assert bad.exit_code != 0 and "item F1: multi options add up to 8, not 10" in bad.output
