"""The order status machine: the pure table, and the one service function with role, tenant and audit checks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from diagnose import workflow
from diagnose.models import AuditLog, DiagnosisOrder, IssuedReport, OrderStatus, Role
from diagnose.services.accounts import orgs
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import assessments, orders
from tests import factories

S = OrderStatus
PATH = [
    ("assign", "bureau", S.assigned),
    ("schedule", "provider", S.scheduled),
    ("start_visit", "provider", S.on_site),
    ("submit", "provider", S.submitted),
    ("return", "bureau", S.returned),
    ("submit", "provider", S.submitted),
    ("confirm", "enterprise", S.submitted),
    ("accept", "bureau", S.accepted),
]


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("created", "assign", S.assigned),
        ("assigned", "schedule", S.scheduled),
        ("scheduled", "start_visit", S.on_site),
        ("on_site", "submit", S.submitted),
        ("submitted", "accept", S.accepted),
        ("submitted", "return", S.returned),
        ("returned", "submit", S.submitted),
        ("created", "cancel", S.cancelled),
        ("scheduled", "cancel", S.cancelled),
        ("accepted", "confirm", S.accepted),
    ],
)
def test_table_allows(status: str, action: str, expected: OrderStatus) -> None:
    assert workflow.next_status(status, action) is expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("created", "submit"),
        ("accepted", "return"),
        ("on_site", "cancel"),
        ("cancelled", "assign"),
        ("returned", "accept"),
        ("submitted", "schedule"),
        ("created", "fly"),
    ],
)
def test_table_refuses(status: str, action: str) -> None:
    with pytest.raises(workflow.WorkflowError):
        workflow.next_status(status, action)


@pytest.mark.parametrize("status", list(S))
def test_every_role_sees_only_its_own_actions(status: OrderStatus) -> None:
    for role in ("bureau", "provider", "enterprise", "admin"):
        for action in workflow.allowed_actions(status, role):
            assert workflow.TRANSITIONS[action].role == role


@pytest.fixture
def parties(engine):  # type: ignore[no-untyped-def]
    session = Session(engine, expire_on_commit=False)
    factories.regions(session)
    ent = factories.enterprise(session)
    other_ent = factories.enterprise(session, serial=2, region="320585")
    bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
    provider = orgs.create_provider(
        session=session, actor="t", uscc=factories.uscc("320412", 90), name="P1", region_code="320412"
    )
    other_provider = orgs.create_provider(
        session=session, actor="t", uscc=factories.uscc("320412", 91), name="P2", region_code="320412"
    )
    orgs.admit_provider(session=session, actor="t", bureau_id=bureau.id, provider_id=provider.id)  # type: ignore[arg-type]
    users = {
        "bureau": factories.user(session, "b", Role.bureau, bureau.id),
        "provider": factories.user(session, "p", Role.provider, provider.id),
        "provider_other": factories.user(session, "p2", Role.provider, other_provider.id),
        "enterprise": factories.user(session, "e", Role.enterprise, ent.id),
        "enterprise_other": factories.user(session, "e2", Role.enterprise, other_ent.id),
    }
    batch = orders.create_batch(
        session=session, actor=users["bureau"], name="批次", year=2026, budget_fen=25_000_000
    )
    order = orders.create_order(
        session=session,
        actor=users["bureau"],
        batch_id=batch.id,
        enterprise_id=ent.id,  # type: ignore[arg-type]
        kind="factory",
        fee_fen=20_000_000,
    )
    yield session, users, order, batch, provider
    session.close()


def test_full_path_with_a_return_is_audited(parties) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _batch, provider = parties
    for action, role, expected in PATH:
        if action == "submit":
            assessments.run_scoring(session=session, actor=users["provider"], order=order)
        if action == "schedule":
            factories.name_lead(session, order, users["provider"])
        workflow.apply(
            session=session,
            order=order,
            action=action,
            actor=users[role],
            inputs=workflow.Inputs(
                provider_id=provider.id, visit_date=date(2026, 11, 20), reason="缺少点检记录"
            ),
        )
        assert order.status == expected
    actions = [
        e.action
        for e in session.exec(
            select(AuditLog).where(AuditLog.entity == "order", AuditLog.entity_id == str(order.id))
        )
    ]
    transitions = [a for a in actions if a.startswith("order.") and a not in ("order.score", "order.staff")]
    assert transitions == ["order.create"] + [f"order.{a}" for a, _r, _s in PATH]


@pytest.mark.parametrize("actor", ["provider_other", "enterprise_other", "enterprise", "provider"])
def test_wrong_actor_is_forbidden_for_assign(parties, actor: str) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _batch, provider = parties
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.apply(
            session=session,
            order=order,
            action="assign",
            actor=users[actor],
            inputs=workflow.Inputs(provider_id=provider.id),
        )
    assert caught.value.code == "forbidden" and order.status == S.created


@pytest.mark.parametrize(
    ("field", "inputs"),
    [("provider_id", workflow.Inputs()), ("provider_id", workflow.Inputs(provider_id=999))],
)
def test_assign_needs_a_pool_provider(parties, field: str, inputs: workflow.Inputs) -> None:  # type: ignore[no-untyped-def]
    session, users, order, *_ = parties
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.apply(session=session, order=order, action="assign", actor=users["bureau"], inputs=inputs)
    assert caught.value.field == field


def test_accept_needs_the_enterprise_confirmation(parties) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _batch, provider = parties
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
    with pytest.raises(workflow.WorkflowError):
        workflow.apply(
            session=session, order=order, action="submit", actor=users["provider"]
        )  # no scoring yet
    assessments.run_scoring(session=session, actor=users["provider"], order=order)
    workflow.apply(session=session, order=order, action="submit", actor=users["provider"])
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.apply(session=session, order=order, action="accept", actor=users["bureau"])
    assert caught.value.field == "confirmed_at"


@pytest.mark.parametrize(
    ("kind", "fee_fen", "ok"),
    [
        ("factory", 20_000_000, True),
        ("factory", 20_000_001, False),
        ("workshop", 5_000_000, True),
        ("workshop", 5_000_001, False),
    ],
)
def test_taicang_fee_caps(parties, kind: str, fee_fen: int, ok: bool) -> None:  # type: ignore[no-untyped-def]
    session = parties[0]
    cap = orders.fee_cap(session=session, region_code="320585", kind=kind, on=date(2022, 6, 1))
    assert (fee_fen <= cap.max_fen) is ok and "太政发〔2021〕3号" in cap.source and cap.policy == "tc-2021-3"


def test_fee_caps_follow_the_policy_in_force_on_the_day(parties) -> None:  # type: ignore[no-untyped-def]
    session = parties[0]
    # Taicang's own caps while 太政发〔2021〕3号 is in force; after 2023-12-31 it has lapsed and no policy in
    # force states a cap, so the platform default applies (and says it only follows the lapsed figure).
    during = orders.fee_cap(session=session, region_code="320585", kind="factory", on=date(2023, 12, 31))
    after = orders.fee_cap(session=session, region_code="320585", kind="factory", on=date(2024, 1, 1))
    assert during.policy == "tc-2021-3" and during.valid_to == date(2023, 12, 31)
    assert after.policy is None and after.region == "default" and "已失效" in after.source
    # Wujin never had a cap of its own: the default, never Taicang's policy as if it applied there.
    wujin = orders.fee_cap(session=session, region_code="320412", kind="workshop", on=date(2022, 6, 1))
    assert wujin.policy is None and wujin.max_fen == 5_000_000


def test_batch_budget_is_not_exceeded(parties) -> None:  # type: ignore[no-untyped-def]
    session, users, _order, batch, _provider = parties
    ent = session.exec(select(DiagnosisOrder)).one().enterprise_id
    orders.create_order(
        session=session,
        actor=users["bureau"],
        batch_id=batch.id,
        enterprise_id=ent,
        kind="workshop",
        fee_fen=5_000_000,
    )  # 200,000 + 50,000 = the whole budget
    with pytest.raises(ValidationError) as caught:
        orders.create_order(
            session=session,
            actor=users["bureau"],
            batch_id=batch.id,
            enterprise_id=ent,
            kind="workshop",
            fee_fen=1,
        )
    assert caught.value.field == "fee_fen"


def test_bureau_cannot_order_outside_its_regions(parties) -> None:  # type: ignore[no-untyped-def]
    session, users, _order, batch, _provider = parties
    taicang = orgs.get_enterprise_by_uscc(session=session, uscc=factories.uscc("320585", 2))
    with pytest.raises(ValidationError):
        orders.create_order(
            session=session,
            actor=users["bureau"],
            batch_id=batch.id,
            enterprise_id=taicang.id,  # type: ignore[union-attr]
            kind="workshop",
            fee_fen=100,
        )


def _to_submitted(session, users, order, provider) -> None:  # type: ignore[no-untyped-def]
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
    assessments.run_scoring(session=session, actor=users["provider"], order=order)
    workflow.apply(session=session, order=order, action="submit", actor=users["provider"])


def _issue(session, order) -> None:  # type: ignore[no-untyped-def]
    session.add(
        IssuedReport(
            order_id=order.id,
            report_number=f"R-{order.number}",
            version=1,
            lang="zh",
            content_sha256="0" * 64,
            pdf_sha256="1" * 64,
            size_bytes=9,
            pdf=b"%PDF-1.4\n",
            data={},
        )
    )
    session.flush()


def test_enterprise_accepts_or_disputes_the_issued_report(parties) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _batch, provider = parties
    _to_submitted(session, users, order, provider)
    # Nothing to judge before a report is issued: not offered, and refused if posted anyway.
    assert "dispute_report" not in workflow.offered_actions(order, "enterprise", report_issued=False)
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.apply(session=session, order=order, action="accept_report", actor=users["enterprise"])
    assert caught.value.field == "report"
    _issue(session, order)
    assert {"accept_report", "dispute_report"} <= set(
        workflow.offered_actions(order, "enterprise", report_issued=True)
    )
    # A dispute needs its reason; only the order's own enterprise may give it.
    with pytest.raises(workflow.WorkflowError) as caught:
        workflow.apply(session=session, order=order, action="dispute_report", actor=users["enterprise"])
    assert caught.value.field == "reason"
    for other in ("enterprise_other", "bureau", "provider"):
        with pytest.raises(workflow.WorkflowError) as caught:
            workflow.apply(
                session=session,
                order=order,
                action="dispute_report",
                actor=users[other],
                inputs=workflow.Inputs(reason="x"),
            )
        assert caught.value.code == "forbidden"
    workflow.apply(
        session=session,
        order=order,
        action="dispute_report",
        actor=users["enterprise"],
        inputs=workflow.Inputs(reason="设备联网率与现场不符"),
    )
    assert order.status == S.submitted and order.report_verdict == "disputed"
    assert order.report_verdict_reason == "设备联网率与现场不符"
    assert workflow.offered_actions(order, "enterprise", report_issued=True).count("dispute_report") == 0
    # The dispute resolved, the enterprise accepts; an accepted report stays accepted.
    workflow.apply(session=session, order=order, action="accept_report", actor=users["enterprise"])
    assert order.report_verdict == "accepted" and order.report_verdict_reason is None
    with pytest.raises(workflow.WorkflowError):
        workflow.apply(
            session=session,
            order=order,
            action="dispute_report",
            actor=users["enterprise"],
            inputs=workflow.Inputs(reason="x"),
        )
    timeline = orders.timeline(session=session, order=order)
    assert [t["action"] for t in timeline][-2:] == ["dispute_report", "accept_report"]
    assert timeline[-2]["reason"] == "设备联网率与现场不符"
