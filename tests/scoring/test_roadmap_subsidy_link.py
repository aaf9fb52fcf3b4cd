"""The roadmap's actions and the subsidy catalogue speak the same recognition ids, and the planner uses the engine."""

from __future__ import annotations

from fractions import Fraction

from scoring.maturity import Investments, load_model, parse_assessment, plan_roadmap
from scoring.maturity.roadmap import investments_of, load_actions
from scoring.planning import subsidy_for_investments
from scoring.subsidy import list_targets


def test_every_action_recognition_is_a_subsidy_target() -> None:
    targets = {t.id for t in list_targets()}
    unknown = {r for action in load_actions() for r in action.recognitions} - targets
    assert unknown == set()


def test_subsidy_bridge_counts_investments_and_recognitions() -> None:
    nothing = subsidy_for_investments(Investments(0, 0, 0, 0, ()), region="320412", date="2024-06-01")
    retrofit = subsidy_for_investments(
        Investments(6_000_000, 0, 0, 0, ()), region="320412", date="2024-06-01"
    )
    assert nothing == 0
    assert retrofit == 300_000  # Wujin 2024 clause 1: 5% of smart equipment and IT investment above 5 million


def test_planner_with_real_subsidies_reaches_the_target() -> None:
    model = load_model()
    assessment = parse_assessment({"industry_type": "discrete", "answers": {}}, model)
    roadmap = plan_roadmap(
        assessment,
        model,
        2,
        "medium",
        lambda inv: subsidy_for_investments(inv, region="320412", date="2024-06-01"),
    )
    assert roadmap.steps and roadmap.steps[-1].level_after >= 2
    assert Fraction(roadmap.steps[-1].score_after) >= Fraction(18, 10)
    chosen = [a for a in load_actions() if a.id in {s.action_id for s in roadmap.steps}]
    reached = investments_of(chosen, "medium", roadmap.final_level)
    expected = subsidy_for_investments(reached, region="320412", date="2024-06-01")
    assert roadmap.steps[-1].cumulative_subsidy_cny == roadmap.subsidy_cny == expected
    assert roadmap.investments == reached


def test_a_recognition_counts_only_once_its_level_is_reached() -> None:
    # ACT-IOT-CAPTURE applies for the provincial smart-factory award, which needs level 3 (data file).
    action = next(a for a in load_actions() if a.id == "ACT-IOT-CAPTURE")
    assert "smart_factory_provincial_demo" in action.recognitions
    assert "smart_factory_provincial_demo" not in investments_of([action], "medium", 2).recognitions
    assert "smart_factory_provincial_demo" in investments_of([action], "medium", 3).recognitions
