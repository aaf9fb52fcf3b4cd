"""Bad answers and bad index data give a clear error naming the item and what it allows, never a silent 0."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from scoring.sme import AnswerError, load_index, parse_index, score_answers

CASE = Path(__file__).resolve().parents[1] / "cases" / "sme" / "level2.json"


def _answers() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(CASE.read_text(encoding="utf-8"))["answers"]
    return answers


def _with(section: str, key: str, value: object) -> dict[str, Any]:
    answers = _answers()
    answers[section][key] = value
    return answers


@pytest.mark.parametrize(
    ("section", "key", "value", "problem", "allowed"),
    [
        ("items", "F2", "gt90", "unknown option 'gt90'", "le10, le20, le40, le60, gt60"),
        ("items", "F2", ["le10"], "takes one option id", "le10, le20, le40, le60, gt60"),
        ("items", "F2", 0.45, "takes one option id", "le10, le20, le40, le60, gt60"),
        ("items", "F6", "rules", "takes a list of option ids", "rules, products, risk_assessment"),
        ("items", "F6", ["rules", "antivirus"], "unknown option(s) 'antivirus'", "boundary_detection"),
        ("items", "F6", ["rules", "rules"], "an option is ticked twice", "rules, products"),
        ("items", "F9", "le10", "unknown item", "F1, F2, F3"),
        ("scenarios", "energy", 5, "grade 5 is out of range 0–4", "0, 1, 2, 3, 4"),
        ("scenarios", "energy", -1, "grade -1 is out of range 0–4", "0, 1, 2, 3, 4"),
        ("scenarios", "energy", "二级", "grade must be an integer 0–4", "0, 1, 2, 3, 4"),
        ("scenarios", "energy", 2.0, "grade must be an integer 0–4", "0, 1, 2, 3, 4"),
        ("scenarios", "energy", True, "grade must be an integer 0–4", "0, 1, 2, 3, 4"),
        ("scenarios", "painting", 2, "unknown scenario", "product_design, process_design"),
    ],
)
def test_bad_answer_names_the_item_and_what_is_allowed(
    section: str, key: str, value: object, problem: str, allowed: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        score_answers(_with(section, key, value))
    err = caught.value
    assert err.key == key
    assert problem in err.problem
    assert str(err).startswith(f"{key}: ")
    assert allowed in ", ".join(err.allowed)


def test_unanswered_items_are_an_error_unless_allowed() -> None:
    answers = _answers()
    del answers["items"]["M4"]
    del answers["scenarios"]["hr"]
    with pytest.raises(AnswerError, match=r"unanswered: M4, hr"):
        score_answers(answers)
    partial = score_answers(answers, allow_missing=True)
    assert partial.missing == ("M4", "hr")
    assert partial.provisional
    full = score_answers(_answers())
    # the missing answers count nothing, and are listed rather than scored as a silent 0
    assert full.total - partial.total == 1.875
    assert [i.answered for i in partial.items if i.id == "M4"] == [False]
    assert partial.to_dict()["provisional"] is True


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(AnswerError, match="unknown key"):
        score_answers({**_answers(), "comments": "x"})
    with pytest.raises(AnswerError, match="must be an object keyed by id"):
        score_answers({"items": ["F1"], "scenarios": {}})


def test_empty_multi_answer_is_none_and_scores_zero() -> None:
    result = score_answers(_with("items", "F7", []))
    f7 = next(i for i in result.items if i.id == "F7")
    assert (f7.options, f7.points, f7.answered) == ((), 0, True)


def _raw_index() -> dict[str, Any]:
    raw: dict[str, Any] = load_index().model_dump(mode="json")
    return copy.deepcopy(raw)


def test_packaged_index_round_trips_through_the_validator() -> None:
    assert parse_index(_raw_index()) == load_index()


def _broken(change: str) -> dict[str, Any]:
    raw = _raw_index()
    if change == "points_do_not_add_up":
        raw["items"][1]["options"][-1]["points"] = "5"
    elif change == "float_points":
        raw["items"][0]["options"][0]["points"] = 2.0
    elif change == "duplicate_item":
        raw["items"][1]["id"] = "F1"
    elif change == "band_gap":
        raw["items"][1]["options"][2]["band"]["above"] = "0.25"
    elif change == "three_grades":
        raw["scenarios"][0]["grades"] = raw["scenarios"][0]["grades"][:3]
    elif change == "rule_not_monotone":
        raw["level_rule"]["levels"][2]["min_score"] = "30"
    elif change == "unknown_field":
        raw["items"][0]["weight"] = "8"
    elif change == "unknown_dimension":
        raw["items"][0]["dimension"] = "operations"
    return raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("points_do_not_add_up", "item F2: the best option is not worth"),
        ("float_points", "expected a decimal string"),
        ("duplicate_item", "duplicate item id(s): F1"),
        ("band_gap", "item F2: bands leave a gap or overlap"),
        ("three_grades", "grades must be 1, 2, 3, 4"),
        ("rule_not_monotone", "level 3 must ask at least what level 2 asks"),
        ("unknown_field", "Extra inputs are not permitted"),
        ("unknown_dimension", "dimension foundation: items add up to 42"),
    ],
)
def test_malformed_index_is_refused_at_load(change: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        parse_index(_broken(change))


def test_unconfirmed_parts_are_surfaced_only_where_the_result_rests_on_them() -> None:
    result = score_answers(_answers())
    kinds = {(u.kind, u.id) for u in result.unconfirmed}
    assert {("level_rule", "level_rule"), ("constraints", "constraints"), ("item", "F4")} <= kinds
    assert ("option", "M1.exemplary") not in kinds  # level2 answers M1 "changed"
    chosen = score_answers(_with("items", "M1", "exemplary"))
    assert ("option", "M1.exemplary") in {(u.kind, u.id) for u in chosen.unconfirmed}
    # an index whose every part is confirmed: no notice
    raw = _raw_index()
    raw["level_rule"]["confirmed"] = raw["constraints"]["confirmed"] = True
    for record in raw["items"] + raw["scenarios"]:
        record["confirmed"] = True
        for option in record.get("options", []):
            option["confirmed"] = True
    clean = score_answers(_with("items", "M1", "exemplary"), index=parse_index(raw))
    assert (clean.unconfirmed, clean.notice_zh, clean.to_dict()["confirmed"]) == ((), "", True)
