"""Chinese citations and verdicts for every clause, from the rule's data: no ids, no file names, no English."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from diagnose.wording.subsidy_zh import citation_zh, clause_zh, cny_zh, explain_zh
from scoring.subsidy import evaluate, load_catalogue, parse_plan

ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:'()-]+[A-Za-z]{2,}){2,}")


@pytest.mark.parametrize(
    ("region", "date", "recognitions"),
    [
        (
            "320412",
            "2024-06-01",
            ["smart_workshop_city", "cmmm_certification", "smart_factory_provincial_demo"],
        ),
        ("320585", "2022-06-01", ["smart_workshop_provincial_demo", "cloud_star_5"]),
        ("320412", "2026-12-01", []),
    ],
)
def test_every_line_explained_in_chinese(region: str, date: str, recognitions: list[str]) -> None:
    catalogue = load_catalogue()
    plan = parse_plan(
        {
            "date": date,
            "enterprise": {"region": region, "industry": "C", "strategic_emerging": True},
            "investments": {"equipment_cny": 8_000_000, "it_cny": 1_200_000, "robots_cny": 600_000},
            "recognitions": recognitions,
        },
        catalogue,
    )
    result = evaluate(plan, catalogue)
    ids = {c.id for c in catalogue.clauses} | {p.id for p in catalogue.policies}
    statuses = set()
    for line in result.lines:
        text = explain_zh(line, result, plan, catalogue) + citation_zh(catalogue.clause(line.clause_id))
        statuses.add(line.status)
        assert ".txt" not in text and "§" not in text, text
        assert not [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)], text
        assert not ENGLISH.search(text), text
    assert len(statuses) >= 3


def test_citation_forms() -> None:
    catalogue = load_catalogue()
    assert (
        citation_zh(catalogue.clause("cz62-3-smart-factory"))
        == "常州市工业和信息化局、常州市财政局 常工信综合〔2021〕62号 第三条"
    )
    assert clause_zh("tc-2021-3", "12") == "第（十二）条"
    assert clause_zh("cz-2022-58", "二.(二).二") == "第二部分（二）第二点"
    assert clause_zh("wj-2024", "10") == "第十条"
    assert cny_zh(Decimal("1234567.89")) == "¥1,234,567.89"


def test_a_missing_catalogue_is_an_error_not_english(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from diagnose.wording import catalogue

    monkeypatch.setattr(catalogue, "TRANSLATIONS", tmp_path)
    catalogue.chinese.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="no compiled Chinese catalogue"):
            catalogue._("open-ended")
    finally:
        monkeypatch.undo()
        catalogue.chinese.cache_clear()
    assert catalogue._("open-ended") == "长期"
