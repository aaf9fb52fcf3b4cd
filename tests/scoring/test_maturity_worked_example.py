"""The worked example of docs/scoring.md, recomputed by the code (tests/cases/maturity/worked_example.json)."""

import json
from fractions import Fraction
from pathlib import Path

import pytest

from scoring.maturity import load_model, parse_assessment, score

ROOT = Path(__file__).parents[2]
EXAMPLE = json.loads(
    (ROOT / "tests" / "cases" / "maturity" / "worked_example.json").read_text(encoding="utf-8")
)
EXPECTED = EXAMPLE["expected"]


@pytest.fixture(scope="module")
def result():
    model = load_model()
    return score(parse_assessment(EXAMPLE, model), model)


def test_level_scores_total_and_level(result) -> None:
    assert list(result.level_scores) == [Fraction(x) for x in EXPECTED["level_scores"]]
    assert result.score == Fraction(EXPECTED["score_exact"])
    assert result.to_dict()["score"] == EXPECTED["score"]
    assert result.level == EXPECTED["level"]


@pytest.mark.parametrize("kind", ["subdomains", "domains", "elements"])
def test_node_scores(result, kind: str) -> None:
    nodes = {n.id: n for n in getattr(result, kind)}
    for node_id, by_level in EXPECTED[kind].items():
        if not by_level:  # tailored at every level: not applicable, so absent (never zero)
            assert node_id not in nodes
        for level, value in by_level.items():
            assert nodes[node_id].by_level[int(level) - 1] == Fraction(value)


@pytest.mark.parametrize("text", EXPECTED["doc_strings"])
def test_doc_shows_the_computed_numbers(text: str) -> None:
    doc = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    assert text in doc
    assert "tests/cases/maturity/worked_example.json" in doc
