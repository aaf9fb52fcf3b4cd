"""Properties of the SME scoring over generated answers: bounded scores, the level rule's monotony, and the
next-level sentence's promise kept."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.sme import load_index, score_answers

INDEX = load_index()


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for item in INDEX.items:
        ids = list(item.option_ids)
        if item.kind == "single":
            items[item.id] = draw(st.sampled_from(ids))
        else:
            items[item.id] = draw(st.lists(st.sampled_from(ids), unique=True))
    scenarios = {s.id: draw(st.integers(0, 4)) for s in INDEX.scenarios}
    return {"items": items, "scenarios": scenarios}


@settings(max_examples=60, deadline=None)
@given(answers())
def test_scores_are_bounded_and_add_up(a: dict[str, Any]) -> None:
    r = score_answers(a)
    assert 0 <= r.total <= 100
    assert r.total == sum(d.points for d in r.dimensions) == sum(i.points for i in r.items)
    for d in r.dimensions:
        assert 0 <= d.points <= d.max_points
    # the level never exceeds what the score alone would give (the 2022 rule)
    by_score = max((c.level for c in INDEX.level_rule.levels if r.total >= c.min_score), default=0)
    assert r.level <= by_score
    assert r.level_zh in r.reason_zh


@settings(max_examples=60, deadline=None)
@given(answers(), st.data())
def test_more_never_lowers_the_level(a: dict[str, Any], data: st.DataObject) -> None:
    before = score_answers(a)
    raised = {**a, "scenarios": dict(a["scenarios"]), "items": dict(a["items"])}
    scenario = data.draw(st.sampled_from([s.id for s in INDEX.scenarios]))
    raised["scenarios"][scenario] = min(4, raised["scenarios"][scenario] + 1)
    multi = data.draw(st.sampled_from([i for i in INDEX.items if i.kind == "multi"]))
    raised["items"][multi.id] = list(multi.option_ids)
    after = score_answers(raised)
    assert after.total >= before.total
    assert after.level >= before.level


@settings(max_examples=60, deadline=None)
@given(answers())
def test_doing_what_next_says_reaches_the_next_level_scenario_wise(a: dict[str, Any]) -> None:
    """Raise the ★ scenarios first, then the others, to the next grade as `next_zh` counts them, and give
    full points: the next level is then reached."""
    r = score_answers(a)
    if r.level == 4:
        assert r.next_zh == "已达到最高等级四级。"
        return
    target = INDEX.level_rule.levels[r.level]
    check = r.checks[r.level]
    need_all = max(0, check.min_scenarios - check.scenarios)
    need_star = max(0, check.min_constraint - check.constraint_scenarios)
    below = [s for s in INDEX.scenarios if a["scenarios"][s.id] < target.level]
    stars = [s for s in below if s.constraint][:need_star]
    others = [s for s in below if s not in stars][: max(0, need_all - len(stars))]
    raised = dict(a["scenarios"])
    for s in stars + others:
        raised[s.id] = target.level
    best: dict[str, Any] = {
        i.id: (list(i.option_ids) if i.kind == "multi" else max(i.options, key=lambda o: o.points).id)
        for i in INDEX.items
    }
    assert score_answers({"items": best, "scenarios": raised}).level >= target.level
    if need_star:
        assert f"{need_star} 个约束性场景" in r.next_zh
