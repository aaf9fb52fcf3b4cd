"""The handover rule, pure: a collector lets go of an enterprise only once another collector holds it."""

from __future__ import annotations

import pytest

from collectors.assignment import Release, enterprise_of, plan_release

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
    assert [enterprise_of(t) for t in (E1, EVERY, SHARED, "plant/E1/+/birth")] == ["E1", None, None, None]
