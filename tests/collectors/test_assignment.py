"""The handover rule, pure: a collector lets go of an enterprise only once another collector holds it."""

from __future__ import annotations

import pytest

from collectors.assignment import (
    Release,
    SubscriptionLedger,
    enterprise_filters,
    enterprise_of,
    is_plant_filter,
    plan_release,
    plant_topics,
)
from diagnose.settings import Settings

E1, E2 = "plant/E1/+/telemetry", "plant/E2/+/telemetry"
EVERY, SHARED = "plant/+/+/telemetry", "$share/g/plant/+/+/telemetry"


@pytest.mark.parametrize(
    ("wanted", "held", "holders", "expected"),
    [
        # E1 moved away from "me": kept until another collector holds it, then let go.
        ([E2], [E1, E2], {"E2": {"me"}}, Release((), (E1,))),
        ([E2], [E1, E2], {"E1": {"me"}, "E2": {"me"}}, Release((), (E1,))),
        ([E2], [E1, E2], {"E1": {"me", "other"}, "E2": {"me"}}, Release((E1,), ())),
        # What is wanted is never let go, whoever else holds it.
        ([E1], [E1], {"E1": {"other"}}, Release((), ())),
        # Every enterprise's filter: kept until each registered enterprise is held by a filter of its own.
        ([E1], [EVERY, E1], {"E1": {"me"}}, Release((), (EVERY,))),
        ([E1], [EVERY, E1], {"E1": {"me"}, "E2": {"other"}}, Release((EVERY,), ())),
        ([], [SHARED], {"E1": {"a"}, "E2": {"b"}}, Release((SHARED,), ())),
        # Giving up everything at once: E1 only to another holder; the wildcard may go as E1 stays held.
        ([], [EVERY, E1], {"E1": {"me"}, "E2": {"b"}}, Release((EVERY,), (E1,))),
    ],
)
def test_plan_release(
    wanted: list[str], held: list[str], holders: dict[str, set[str]], expected: Release
) -> None:
    plan = plan_release(
        wanted=wanted, held=held, collector_id="me", holders=holders, enterprises=["E1", "E2"]
    )
    assert plan == expected


def test_filters_name_their_enterprise() -> None:
    named = [enterprise_of(t) for t in (E1, EVERY, SHARED, "plant/E1/+/birth", "plant/E1/+/status")]
    assert named == ["E1", None, None, "E1", "E1"]
    assert enterprise_of("spBv1.0/E1/#") is None and not is_plant_filter("spBv1.0/E1/#")
    assert all(map(is_plant_filter, (E1, EVERY, SHARED, "plant/+/+/birth")))


def test_a_collector_takes_only_its_enterprises_births_and_status(settings: Settings) -> None:
    """Births and status follow the assignment like telemetry: a device of another enterprise never reaches
    this collector (issue #20: every collector used to take every enterprise's births)."""
    assert plant_topics(settings.model_copy(update={"collector_enterprises": "E1,E2"})) == [
        "plant/E1/+/telemetry", "plant/E1/+/birth", "plant/E1/+/status",
        "plant/E2/+/telemetry", "plant/E2/+/birth", "plant/E2/+/status",
    ]  # fmt: skip
    assert plant_topics(settings, ["E2"]) == enterprise_filters("E2")
    assert plant_topics(settings, []) == []  # assigned nothing (yet): nothing at all
    assert plant_topics(settings) == ["plant/+/+/telemetry", "plant/+/+/birth", "plant/+/+/status"]
    # A share group cannot carry retained births (MQTT 5 §4.8.2): those go to every collector of the group.
    shared = settings.model_copy(update={"mqtt_share_group": "g"})
    assert plant_topics(shared) == [SHARED, "plant/+/+/birth", "plant/+/+/status"]


def test_a_note_from_before_births_followed_the_assignment_lets_them_go_by_the_handover_rule(
    settings: Settings,
) -> None:
    ledger = SubscriptionLedger(settings)
    ledger.record([E1])  # written by a collector that held every enterprise's births and status
    assert ledger.previous() == [E1, "plant/+/+/birth", "plant/+/+/status"]
    ledger.record(enterprise_filters("E1"))
    assert ledger.previous() == enterprise_filters("E1")
    plan = plan_release(
        wanted=enterprise_filters("E1"),
        held=[*enterprise_filters("E1"), "plant/+/+/birth", "plant/+/+/status"],
        collector_id="me",
        holders={"E1": {"me"}, "E2": {"other"}},
        enterprises=["E1", "E2"],
    )
    assert plan == Release(("plant/+/+/birth", "plant/+/+/status"), ())
