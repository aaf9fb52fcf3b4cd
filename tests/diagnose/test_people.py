"""People, not logins (issue #23 point 3): users' 姓名/职务/phone, an order's 项目负责人 and 诊断人员, and the
records (timeline, audit) that name them; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from diagnose import migrate, workflow
from diagnose.db import make_engine
from diagnose.models import AuditLog, OrderStaffMember, Role, User
from diagnose.schemas.accounts import check_phone
from diagnose.services.accounts import orgs
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import order_staff, orders
from tests import factories


@pytest.mark.parametrize(
    "phone",
    ["", "13812345678", "138 1234 5678", "+86 138-1234-5678", "0512-53012345", "(0519) 8888 1234",
     "0512-5301 2345-801", "0512-53012345转801", "400 820 8820"],
)  # fmt: skip
def test_phone_numbers_as_people_write_them(phone: str) -> None:
    assert check_phone(phone) == " ".join(phone.split())


@pytest.mark.parametrize("phone", ["12345", "138123456789", "abc", "5301 2345", "+1 415 555 0100", "0" * 40])
def test_not_phone_numbers(phone: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        check_phone(phone)


@pytest.fixture
def people(engine):  # type: ignore[no-untyped-def]
    """A Wujin order assigned to a provider with three users (one inactive) and another provider's user."""
    session = Session(engine, expire_on_commit=False)
    factories.regions(session)
    enterprise = factories.enterprise(session)
    bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
    provider, other = (
        orgs.create_provider(
            session=session, actor="t", uscc=factories.uscc("320412", n), name=name, region_code="320412"
        )
        for n, name in ((90, "智造云联"), (91, "数智工业"))
    )
    for p in (provider, other):
        orgs.admit_provider(session=session, actor="t", bureau_id=bureau.id, provider_id=p.id)  # type: ignore[arg-type]
    users = {
        "bureau": factories.user(session, "wj", Role.bureau, bureau.id, full_name="陈立新", title="科长"),
        "lead": factories.user(session, "p-lead", Role.provider, provider.id, full_name="王海涛", title="项目经理"),
        "member": factories.user(session, "p-mem", Role.provider, provider.id, full_name="李静"),
        "gone": factories.user(session, "p-gone", Role.provider, provider.id, full_name="离职者"),
        "stranger": factories.user(session, "o-1", Role.provider, other.id, full_name="外人"),
        "legacy": factories.user(session, "p-legacy", Role.provider, provider.id),
    }  # fmt: skip
    users["gone"].active = False
    batch = orders.create_batch(
        session=session, actor=users["bureau"], name="批次", year=2026, budget_fen=25_000_000
    )
    order = orders.create_order(
        session=session,
        actor=users["bureau"],
        batch_id=batch.id,  # type: ignore[arg-type]
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        kind="factory",
        fee_fen=20_000_000,
    )
    workflow.apply(
        session=session,
        order=order,
        action="assign",
        actor=users["bureau"],
        inputs=workflow.Inputs(provider_id=provider.id),
    )
    yield session, users, order, (provider, other)
    session.close()


def test_a_person_is_named_by_name_and_only_a_legacy_account_by_its_login(people) -> None:  # type: ignore[no-untyped-def]
    _session, users, *_ = people
    assert orgs.display_name(users["lead"]) == "王海涛"
    assert orgs.display_name(users["legacy"]) == "p-legacy"  # nobody recorded a name yet


def test_the_admin_or_the_user_records_a_name_audited_without_the_phone(people) -> None:  # type: ignore[no-untyped-def]
    session, users, *_ = people
    legacy = users["legacy"]
    with pytest.raises(ValidationError) as refused:
        orgs.update_person(session=session, actor=users["lead"], user=legacy, full_name="冒名")
    assert refused.value.code == "forbidden"
    with pytest.raises(ValidationError) as empty:
        orgs.update_person(session=session, actor=legacy, user=legacy, full_name="   ")
    assert empty.value.field == "full_name"
    with pytest.raises(ValidationError) as bad_phone:
        orgs.update_person(session=session, actor=legacy, user=legacy, full_name="赵磊", phone="12345")
    assert bad_phone.value.field == "phone" and legacy.full_name == ""
    orgs.update_person(
        session=session,
        actor=legacy,
        user=legacy,
        full_name=" 赵  磊 ",
        title="工程师",
        phone="139 0000 1234",
    )
    assert (legacy.full_name, legacy.title, legacy.phone) == ("赵 磊", "工程师", "139 0000 1234")
    entry = session.exec(select(AuditLog).where(AuditLog.action == "user.profile")).one()
    assert entry.detail == {
        "username": "p-legacy",
        "full_name": "赵 磊",
        "title": "工程师",
        "phone_changed": True,
    }
    orgs.update_person(  # the same again changes nothing and records nothing
        session=session, actor=legacy, user=legacy, full_name="赵 磊", title="工程师", phone="139 0000 1234"
    )
    assert len(session.exec(select(AuditLog).where(AuditLog.action == "user.profile")).all()) == 1


def test_the_provider_names_one_lead_and_its_team_from_its_active_users(people) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _providers = people
    lead, member = users["lead"], users["member"]
    # Whom it may name: the provider's active users (not the inactive one, not another provider's).
    assert {u.username for u in order_staff.candidates(session=session, order=order)} == {
        "p-lead", "p-mem", "p-legacy"
    }  # fmt: skip
    for actor, field_or_code, lead_id, members in (
        (users["bureau"], "forbidden", lead.id, []),
        (users["stranger"], "forbidden", lead.id, []),
        (lead, "lead_id", users["stranger"].id, []),  # another provider's user
        (lead, "lead_id", users["gone"].id, []),  # an inactive user
        (lead, "member_ids", lead.id, [users["stranger"].id]),
    ):
        with pytest.raises(ValidationError) as refused:
            order_staff.set_staff(
                session=session, actor=actor, order=order, lead_id=lead_id, member_ids=members
            )
        assert field_or_code in (refused.value.code, refused.value.field)
    assert orders.staff_of(session=session, order=order).lead is None
    staff = order_staff.set_staff(
        session=session, actor=member, order=order, lead_id=lead.id, member_ids=[member.id, lead.id, member.id]
    )  # fmt: skip
    assert staff.lead is lead and staff.members == [member]  # the lead is not also a member; no repeats
    entry = session.exec(select(AuditLog).where(AuditLog.action == "order.staff")).one()
    assert entry.detail == {"lead": "王海涛", "members": "李静"}
    timeline = orders.timeline(session=session, order=order)
    assert [(e["action"], e["actor"], e["actor_org"]) for e in timeline] == [
        ("create", "陈立新", "武进区工信局"),
        ("assign", "陈立新", "武进区工信局"),
        ("staff", "李静", "智造云联"),
    ]
    assert not any(login in str(timeline) for login in ("wj", "p-lead", "p-mem"))


def test_the_visit_is_scheduled_only_once_a_lead_is_named(people) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _providers = people
    inputs = workflow.Inputs(visit_date=date(2026, 11, 20))
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.apply(session=session, order=order, action="schedule", actor=users["lead"], inputs=inputs)
    assert refused.value.field == "lead_id" and order.status == "assigned"
    order_staff.set_staff(
        session=session, actor=users["lead"], order=order, lead_id=users["lead"].id, member_ids=[]
    )
    workflow.apply(session=session, order=order, action="schedule", actor=users["lead"], inputs=inputs)
    assert order.status == "scheduled"


def test_reassigning_the_order_forgets_the_other_providers_people(people) -> None:  # type: ignore[no-untyped-def]
    session, users, order, (_provider, other) = people
    order_staff.set_staff(
        session=session, actor=users["lead"], order=order, lead_id=users["lead"].id, member_ids=[users["member"].id]
    )  # fmt: skip
    workflow.apply(
        session=session, order=order, action="assign", actor=users["bureau"], inputs=workflow.Inputs(provider_id=other.id)
    )  # fmt: skip
    assert orders.staff_of(session=session, order=order).everyone == []
    order_staff.set_staff(
        session=session, actor=users["stranger"], order=order, lead_id=users["stranger"].id, member_ids=[]
    )
    assert orders.staff_of(session=session, order=order).lead is users["stranger"]


def test_the_team_is_fixed_once_submitted(people) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _providers = people
    order.status = "submitted"
    with pytest.raises(ValidationError) as refused:
        order_staff.set_staff(
            session=session, actor=users["lead"], order=order, lead_id=users["lead"].id, member_ids=[]
        )
    assert refused.value.field == "status"


def test_the_database_holds_one_lead_per_order(people) -> None:  # type: ignore[no-untyped-def]
    session, users, order, _providers = people
    session.add(OrderStaffMember(order_id=order.id, user_id=users["lead"].id, role="lead"))  # type: ignore[arg-type]
    session.flush()
    session.add(OrderStaffMember(order_id=order.id, user_id=users["member"].id, role="lead"))  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        session.flush()


def test_the_migration_keeps_a_persons_name_and_drops_an_organisations(db_url: str) -> None:
    """Before 0026 the admin typed a "display name": often the organisation's name, sometimes a person's."""
    engine = make_engine(url=db_url)
    migrate.upgrade(engine, "0023")
    rows = [  # (username, display name, organisation column, expected 姓名)
        ("a1", "平台管理员张三", None, "平台管理员张三"),
        ("b1", "武进区工信局", "bureau_id", ""),
        ("p1", "王海涛", "provider_id", "王海涛"),
        ("p2", "智造云联", "provider_id", ""),
        ("p3", "p3", "provider_id", ""),
        ("e1", "测试精密机械有限公司", "enterprise_id", ""),
    ]
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO region (code, name, level) VALUES ('320412', '武进区', 'district')")
        )
        connection.execute(
            text("INSERT INTO bureau (id, name, region_code) VALUES (1, '武进区工信局', '320412')")
        )
        connection.execute(text(
            "INSERT INTO provider (id, uscc, name, region_code) VALUES (1, :u, '智造云联', '320412')"
        ), {"u": factories.uscc("320412", 90)})  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO enterprise (id, uscc, name, region_code, industry_code, industry_type, scale, "
                "strategic_emerging, created_at) VALUES (1, :u, '测试精密机械有限公司', '320412', '3421', "
                "'discrete', 'medium', false, CURRENT_TIMESTAMP)"
            ),
            {"u": factories.uscc("320412", 1)},
        )
        for username, shown, column, _expected in rows:
            org = f", {column}" if column else ""
            connection.execute(
                text(
                    f'INSERT INTO "user" (username, password_hash, display_name, role, active, session_version, '
                    f"created_at{org}) VALUES (:n, 'x', :d, 'x', true, 0, CURRENT_TIMESTAMP{', 1' if column else ''})"
                ),
                {"n": username, "d": shown},
            )
    migrate.upgrade(engine)
    with Session(engine) as session:
        found = {u.username: u.full_name for u in session.exec(select(User))}
    assert found == {username: expected for username, _d, _c, expected in rows}
    migrate.downgrade(engine, "0023")  # back: the display name is the name, or the login
    with engine.connect() as connection:
        back = dict(connection.execute(text('SELECT username, display_name FROM "user"')).all())
    assert back["p1"] == "王海涛" and back["b1"] == "b1"
    engine.dispose()
