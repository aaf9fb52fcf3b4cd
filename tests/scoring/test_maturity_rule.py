"""The total-score rule against the golden vectors in tests/cases/maturity/total_score_vectors.json."""

import json
from fractions import Fraction
from pathlib import Path

import pytest

from scoring.maturity import total_score

CASES = json.loads(
    (Path(__file__).parents[1] / "cases" / "maturity" / "total_score_vectors.json").read_text(
        encoding="utf-8"
    )
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_total_score_vectors(case: dict) -> None:
    result = total_score(case["level_scores"])
    assert result.score_rounded == case["score"]
    assert result.level == case["level"]


def test_mean_of_ratings_equal_to_threshold_continues() -> None:
    mean_as_float = (0.8 + 0.8 + 0.8) / 3  # 0.8000000000000002 or 0.7999999999999999 depending on order
    assert total_score([mean_as_float, 1, 0, 0, 0]).levels_added == 3
    assert total_score([Fraction(12, 15), 1, 0, 0, 0]).levels_added == 3


def test_out_of_range_level_score_is_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        total_score([1.2, 0, 0, 0, 0])
