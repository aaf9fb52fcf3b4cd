"""Gap list, roadmap planner and peer benchmark."""

from fractions import Fraction

import pytest

from scoring.maturity import (
    Answer,
    Assessment,
    Investments,
    benchmark_unavailable_reason,
    gap_list,
    load_actions,
    load_model,
    peer_benchmark,
    plan_roadmap,
    score,
)

MODEL = load_model()


def level_one_assessment() -> Assessment:
    """All level-1 requirements met, level 2 half met, nothing above."""
    answers = [
        Answer(r.id, Fraction(1) if r.level == 1 else Fraction(1, 2))
        for r in MODEL.requirements
        if r.level <= 2
    ]
    return Assessment("discrete", tuple(answers))


def ten_percent_it(inv: Investments) -> int:
    return inv.it_cny // 10


def test_gap_list_covers_next_two_levels_best_first() -> None:
    gaps = gap_list(level_one_assessment(), MODEL)
    assert gaps.current_level == 1 and gaps.target_levels == (2, 3)
    assert {g.level for g in gaps.gaps} == {2, 3}
    level2 = [g for g in gaps.gaps if g.level == 2]
    assert [g.priority for g in level2] == sorted((g.priority for g in level2), reverse=True)
    assert all(g.level_gain > 0 for g in gaps.gaps)
    # Level 3 does not count yet (level 2 is below 0.8), so meeting one L3 requirement does not move S.
    assert all(g.s_gain_now == 0 for g in gaps.gaps if g.level == 3)


@pytest.mark.parametrize("target", [2, 3, 4, 5])
def test_roadmap_reaches_target_and_is_verified(target: int) -> None:
    start = level_one_assessment()
    roadmap = plan_roadmap(start, MODEL, target, "medium", ten_percent_it)
    assert roadmap.reached and roadmap.final_level >= target
    assert roadmap.steps[-1].level_after >= target
    scores = [s.score_after for s in roadmap.steps]
    assert scores == sorted(scores) and scores[0] > roadmap.start_score
    assert roadmap.cost_cny == sum(s.cost_cny for s in roadmap.steps)
    assert roadmap.subsidy_cny == roadmap.investments.it_cny // 10
    assert roadmap.net_cost_cny == roadmap.cost_cny - roadmap.subsidy_cny


def test_subsidy_changes_the_choice_towards_subsidised_actions() -> None:
    start = level_one_assessment()
    plain = plan_roadmap(start, MODEL, 3, "small", lambda inv: 0)
    robots_free = plan_roadmap(start, MODEL, 3, "small", lambda inv: inv.robots_cny)
    assert robots_free.net_cost_cny <= plain.net_cost_cny
    assert all(isinstance(s.cumulative_subsidy_cny, int) for s in robots_free.steps)


def test_roadmap_already_at_target_has_no_steps() -> None:
    done = Assessment("discrete", tuple(Answer(r.id, Fraction(1)) for r in MODEL.requirements))
    roadmap = plan_roadmap(done, MODEL, 4, "large", ten_percent_it)
    assert roadmap.steps == () and roadmap.reached and roadmap.net_cost_cny == 0


def test_roadmap_unreachable_with_a_thin_catalogue_says_so() -> None:
    thin = [a for a in load_actions() if a.id == "ACT-SECURITY"]
    roadmap = plan_roadmap(level_one_assessment(), MODEL, 4, "medium", ten_percent_it, actions=thin)
    assert not roadmap.reached and "not reachable" in roadmap.note


def test_investments_split_by_category() -> None:
    actions = {a.id: a for a in load_actions()}
    roadmap = plan_roadmap(
        Assessment("discrete", ()),
        MODEL,
        1,
        "small",
        lambda inv: 0,
        actions=[actions["ACT-ERP"], actions["ACT-EMS"]],
    )
    assert (
        roadmap.investments.it_cny + roadmap.investments.equipment_cny == roadmap.cost_cny
        or not roadmap.steps
    )


def results(n: int):
    return [
        score(
            Assessment(
                "discrete", tuple(Answer(r.id, Fraction(1)) for r in MODEL.requirements if r.level <= k)
            ),
            MODEL,
        )
        for k in range(n)
    ]


def test_peer_benchmark_needs_five_peers() -> None:
    own = results(3)[2]
    assert peer_benchmark(own, results(4)) is None
    assert "at least 5" in benchmark_unavailable_reason(own, results(4))


def test_peer_benchmark_percentiles() -> None:
    peers = results(5)  # S = 0, 1, 2, 3, 4
    own = results(4)[3]  # S = 3
    bench = peer_benchmark(own, peers)
    assert bench is not None and benchmark_unavailable_reason(own, peers) is None
    assert bench.peers == 5
    assert bench.score.percentile == 70.0  # 3 below, 1 equal: (3 + 0.5) / 5
    assert bench.score.peer_median == 2.0
    assert {p.key for p in bench.subdomains} == {n.id for n in own.subdomains}
