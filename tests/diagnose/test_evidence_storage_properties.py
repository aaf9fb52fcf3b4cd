"""The evidence snapshot's properties through storage, on SQLite and PostgreSQL (issue #22): random plants
stored as telemetry, presence, calendar and ledger rows, rolled up as the jobs process does, give exactly the
pure snapshot of the same plant (raw and roll-up paths agree); the snapshot stored with a result comes back
unchanged, with its hash; and the stored snapshot keeps every property of tests/scoring/test_evidence_properties."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.models import DiagnosisOrder, Result
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.telemetry import rollups
from scoring.indicators import snapshot_json
from scoring.indicators.snapshot import evidence_snapshot as pure_snapshot
from tests import factories, plants
from tests.scoring.test_evidence_properties import (
    check_bounds,
    check_plant_oee,
    check_statuses,
    check_unknown_apart,
)

SERIALS = itertools.count(100)


def first_difference(left: object, right: object, path: str = "") -> str | None:
    """Where two JSON values first differ, and how (a readable failure for a large snapshot)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            found = first_difference(left.get(key), right.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None if len(left) == len(right) else f"{path}: {len(left)} items against {len(right)}"
    return None if left == right else f"{path}: {left!r} (database) against {right!r} (pure)"


def _result(
    session: Session, enterprise_id: int, bureau_id: int, scored: datetime
) -> tuple[DiagnosisOrder, Result]:
    order = DiagnosisOrder(
        number=f"T-{next(SERIALS)}",
        bureau_id=bureau_id,
        enterprise_id=enterprise_id,
        kind="factory",
        fee_fen=100,
        status="on_site",
    )
    session.add(order)
    session.flush()
    result = Result(
        order_id=order.id or 0,
        level=1,
        score="1.0000",
        level_scores=[],
        detail={},
        model_version="t",
        weights_version="t",
        rule_version="t",
        input_hash="x",
        created_at=scored,
    )
    session.add(result)
    session.flush()
    return order, result


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking through a database takes too long
)
@given(plant=plants.plants(max_devices=3))
def test_random_plants_through_the_database(engine: Engine, plant: plants.Plant) -> None:
    with Session(engine, expire_on_commit=False) as session:
        factories.regions(session)
        bureau = orgs.create_bureau(
            session=session, actor="t", name=f"局{next(SERIALS)}", region_code="320412"
        )
        eid = plants.store(session, plant, serial=next(SERIALS))
        session.commit()
        rollups.rollup_pending(
            session=session,
            now=plant.window.end + timedelta(hours=2),
            silence_timeout_s=plant.silence_timeout_s,
        )
        session.commit()
        raw = evidence_snapshot.compute(
            session=session,
            enterprise_id=eid,
            window=plant.window,
            silence_timeout_s=plant.silence_timeout_s,
            use_rollups=False,
        )
        gathered = evidence_snapshot.compute(
            session=session, enterprise_id=eid, window=plant.window, silence_timeout_s=plant.silence_timeout_s
        )
        order, result = _result(session, eid, bureau.id or 0, plant.window.end)
        record = evidence_snapshot.store(
            session=session, result=result, order=order, snapshot=gathered, versions={}
        )
        session.commit()
        stored = evidence_snapshot.of_result(session=session, result=result)
    pure = pure_snapshot(plants.pure_input(plant))
    difference = first_difference(snapshot_json.to_dict(raw), snapshot_json.to_dict(pure))
    assert difference is None, f"{plant!r}: {difference}"
    # Read from roll-ups every figure is the same, a sampling device's coverage included: a roll-up keeps how
    # many of its hour's sampling slots heard a message (migration 0028), as the raw samples would count them.
    difference = first_difference(snapshot_json.to_dict(gathered), snapshot_json.to_dict(pure))
    assert difference is None, f"{plant!r}: {difference}"
    assert stored == gathered and record.sha256 == snapshot_json.sha256(gathered)
    for check in (check_bounds, check_statuses, check_plant_oee, check_unknown_apart):
        check(stored)
    assert record.window_end == plant.window.end.astimezone(UTC)
