"""Tailoring per sub-domain with a reason from a fixed list; a single requirement's n/a counts as 0; no gaming."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.maturity import (
    Answer,
    Assessment,
    AssessmentError,
    input_hash,
    load_model,
    parse_assessment,
    score,
)
from scoring.maturity.engine import rollup
from scoring.maturity.model import read_json
from scoring.maturity.rule import total_score
from scoring.maturity.tailoring import load_tailoring_rules

MODEL = load_model()
RULES = load_tailoring_rules()
IDS = [r.id for r in MODEL.requirements if r.applies_to("discrete")]


def test_a_whole_subdomain_is_tailored_at_every_level_with_its_reason() -> None:
    found = parse_assessment(
        {
            "industry_type": "discrete",
            "tailoring": {"logistics": {"reason": "fully_outsourced", "note": "承运商"}},
        },
        MODEL,
    )
    result = score(found, MODEL)
    logistics = {r.id for r in MODEL.requirements if r.subdomain == "logistics"}
    assert {rid for rid, _ in result.tailored} == logistics
    assert {reason for _, reason in result.tailored} == {"fully_outsourced"}
    assert result.to_dict()["tailoring"] == [
        {"subdomain": "logistics", "reason": "fully_outsourced", "note": "承运商"}
    ]
    assert "logistics" not in {n.id for n in result.subdomains}


def test_a_single_requirement_cannot_be_tailored() -> None:
    rid = "NW-L2-01"
    with_na = parse_assessment({"industry_type": "discrete", "answers": {rid: "n/a", "NW-L2-02": 1}}, MODEL)
    unanswered = parse_assessment({"industry_type": "discrete", "answers": {"NW-L2-02": 1}}, MODEL)
    assert with_na.ignored_na == (rid,)
    assert score(with_na, MODEL).level_scores == score(unanswered, MODEL).level_scores
    assert score(with_na, MODEL).to_dict()["ignored_na"] == [rid]
    # Built by hand, bypassing the parser: scoring applies the rule again.
    by_hand = Assessment("discrete", (Answer(rid, None, "不适用"), Answer("NW-L2-02", Fraction(1))))
    assert score(by_hand, MODEL).level_scores == score(unanswered, MODEL).level_scores


@pytest.mark.parametrize(
    ("tailoring", "needle"),
    [
        ({"network": {"reason": "business_not_involved"}}, "cannot be tailored"),
        ({"product_design": {"reason": "business_not_involved"}}, "cannot be tailored"),
        ({"sales": {"reason": "we do not feel like it"}}, "is not one of"),
        ({"no_such": {"reason": "fully_outsourced"}}, "unknown sub-domain"),
    ],
)
def test_tailoring_outside_the_rules_is_refused(tailoring: dict[str, object], needle: str) -> None:
    with pytest.raises(AssessmentError) as caught:
        parse_assessment({"industry_type": "discrete", "tailoring": tailoring}, MODEL)
    assert needle in str(caught.value) and caught.value.field.startswith("tailoring.")


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.sampled_from(RULES.tailorable)),
    st.lists(st.sampled_from(IDS), max_size=5, unique=True),
    st.sampled_from([code for code, _zh, _en in RULES.reasons]),
)
def test_rating_five_requirements_and_tailoring_the_rest_cannot_score_a_level(
    tailored: set[str], rated: list[str], reason: str
) -> None:
    answers: dict[str, object] = {rid: "n/a" for rid in IDS}
    answers.update({rid: 1 for rid in rated})
    raw = {
        "industry_type": "discrete",
        "answers": answers,
        "tailoring": {s: {"reason": reason} for s in tailored},
    }
    result = score(parse_assessment(raw, MODEL), MODEL)
    assert result.level == 0 and result.score < Fraction(4, 5)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5))
def test_a_level_with_nothing_left_to_rate_is_not_awarded(empty_level: int) -> None:
    ratings = {r.id: (None if r.level == empty_level else Fraction(1)) for r in MODEL.requirements}
    levels = rollup(ratings, MODEL, "discrete")
    assert levels[empty_level - 1] is None
    total = total_score([x if x is not None else Fraction(0) for x in levels], MODEL.thresholds)
    assert total.level == empty_level - 1


def test_tailoring_is_in_the_hash() -> None:
    plain = parse_assessment({"industry_type": "discrete", "answers": {"NW-L2-02": 1}}, MODEL)
    tailored = parse_assessment(
        {
            "industry_type": "discrete",
            "answers": {"NW-L2-02": 1},
            "tailoring": {"sales": {"reason": "done_by_group"}},
        },
        MODEL,
    )
    assert input_hash(plain, MODEL) != input_hash(tailored, MODEL)
    again = parse_assessment(tailored.to_dict(), MODEL)
    assert input_hash(again, MODEL) == input_hash(tailored, MODEL) and score(again, MODEL) == score(
        tailored, MODEL
    )
    assert score(tailored, MODEL).to_dict()["assessment_kind"] == "self_assessment"


def test_every_industry_difference_is_cited_and_covers_every_industry_specific_requirement() -> None:
    data = read_json("industry_differences.json")
    assert data["text_at_hand"] is False and "not in this repository" in data["source"]
    listed: list[str] = []
    for diff in data["differences"]:
        assert diff["source"].startswith("GB/T 39116-2020") and diff["what"]
        for industry in ("discrete", "process"):
            for rid in diff[industry]:
                req = MODEL.requirement(rid)
                assert req is not None and req.industry == industry
                assert (req.subdomain, req.level) == (diff["subdomain"], diff["level"])
                listed.append(rid)
    specific = sorted(r.id for r in MODEL.requirements if r.industry != "both")
    assert sorted(listed) == specific
    design_and_production = {"product_design", "process_design", "production_operation", "safety_environment"}
    assert sum(1 for d in data["differences"] if d["subdomain"] in design_and_production) >= 6


def test_the_tailoring_rules_say_the_standard_text_is_not_at_hand() -> None:
    raw = read_json("tailoring.json")
    assert raw["text_at_hand"] is False and "not in this repository" in raw["source"]
    assert raw["reasons"][0]["name_zh"] == "业务不涉及"
    assert json.dumps(raw, ensure_ascii=False)
