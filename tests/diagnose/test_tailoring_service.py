"""Tailoring recorded before scoring, shown in the result, flagged for the bureau when heavy; results record the catalogue."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from diagnose import workflow
from diagnose.models import Role
from diagnose.services.accounts import orgs
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import assessments, orders, tailoring
from diagnose.services.supervision import supervision_records
from scoring.supervision import load_rules
from scoring.supervision.rules import heavy_tailoring
from tests import factories


@pytest.fixture
def scene(engine):  # type: ignore[no-untyped-def]
    session = Session(engine, expire_on_commit=False)
    factories.regions(session)
    ent = factories.enterprise(session)
    bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
    provider = orgs.create_provider(
        session=session, actor="t", uscc=factories.uscc("320412", 90), name="P1", region_code="320412"
    )
    orgs.admit_provider(session=session, actor="t", bureau_id=bureau.id, provider_id=provider.id)  # type: ignore[arg-type]
    users = {
        "bureau": factories.user(session, "b", Role.bureau, bureau.id),
        "provider": factories.user(session, "p", Role.provider, provider.id),
    }
    batch = orders.create_batch(
        session=session, actor=users["bureau"], name="批次", year=2026, budget_fen=25_000_000
    )
    order = orders.create_order(
        session=session,
        actor=users["bureau"],
        batch_id=batch.id,
        enterprise_id=ent.id,
        kind="factory",
        fee_fen=20_000_000,  # type: ignore[arg-type]
    )
    for action, role in [("assign", "bureau"), ("schedule", "provider"), ("start_visit", "provider")]:
        if action == "schedule":
            factories.name_lead(session, order, users["provider"])
        workflow.apply(
            session=session,
            order=order,
            action=action,
            actor=users[role],
            inputs=workflow.Inputs(provider_id=provider.id, visit_date=date(2026, 11, 20)),
        )
    yield session, users, order
    session.close()


def _tailor(session, users, order, subdomain: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    tailoring.set_tailoring(
        session=session,
        actor=users["provider"],
        order=order,
        assessment=assessments.get_or_create(session=session, order=order),
        subdomain=subdomain,
        reason=reason,
        note="集团统一",
    )


def test_tailoring_before_scoring_is_in_the_result_and_then_fixed(scene) -> None:  # type: ignore[no-untyped-def]
    session, users, order = scene
    _tailor(session, users, order, "sales", "done_by_group")
    with pytest.raises(ValidationError) as caught:
        _tailor(session, users, order, "network", "business_not_involved")
    assert "cannot be tailored" in caught.value.message
    assessments.save_answer(
        session=session, actor=users["provider"], order=order, requirement_id="NW-L2-01", rating="n/a"
    )
    result = assessments.run_scoring(session=session, actor=users["provider"], order=order)
    assert result.detail["tailoring"] == [
        {"subdomain": "sales", "reason": "done_by_group", "note": "集团统一"}
    ]
    assert result.detail["assessment_kind"] == "self_assessment"
    assert result.detail["score"]["ignored_na"] == ["NW-L2-01"]
    tailored_ids = {t["id"] for t in result.detail["score"]["tailored"]}
    assert tailored_ids and all(rid.startswith("SL-") for rid in tailored_ids)
    subsidy = result.detail["subsidy"]
    assert (
        subsidy["catalogue_version"].startswith("cat-") and subsidy["policy_versions"]["wj-2024"] == "shipped"
    )
    assert {"sure_cny", "ceilings_cny", "ceiling_clauses"} <= set(subsidy)
    roadmap = result.detail["roadmap"]
    assert roadmap["subsidy_counts"] == "sure_only"
    assert {c["clause_id"] for c in roadmap["subsidy_ceilings"]} <= set(subsidy["ceiling_clauses"])
    with pytest.raises(ValidationError) as caught:
        _tailor(session, users, order, "logistics", "fully_outsourced")
    assert caught.value.reason == "already_scored" and "before the scoring" in caught.value.message


def test_heavy_tailoring_reaches_the_bureau_records(scene) -> None:  # type: ignore[no-untyped-def]
    session, users, order = scene
    for sub, reason in [
        ("sales", "done_by_group"),
        ("logistics", "fully_outsourced"),
        ("procurement", "done_by_group"),
    ]:
        _tailor(session, users, order, sub, reason)
    assessments.run_scoring(session=session, actor=users["provider"], order=order)
    workflow.apply(session=session, order=order, action="submit", actor=users["provider"])
    records = supervision_records.diagnosis_records(
        session=session, regions={"320412"}, window_days=2, silence_timeout_s=600
    )
    record = next(r for r in records if r.order_id == order.id)
    assert {sub for sub, _ in record.tailored} == {"sales", "logistics", "procurement"}
    assert heavy_tailoring(record, load_rules())[0].evidence["count"] == 3
