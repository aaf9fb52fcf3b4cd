"""Demo data that looks real: Wujin and Taicang manufacturers, their devices, providers, bureaus and orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from diagnose import workflow
from diagnose.models import DiagnosisOrder, Enterprise, OrderStatus, Provider, Role, User
from diagnose.models.base import utcnow
from diagnose.services import assessments, devices, orders, orgs, plant_records
from scoring.china_time import china_today
from scoring.uscc import make_uscc

ACTOR = "system:demo"
DEMO_PASSWORD = "demo-2026!"

REGIONS = [
    ("320000", "江苏省", "province", None),
    ("320400", "常州市", "city", "320000"),
    ("320412", "武进区", "district", "320400"),
    ("320500", "苏州市", "city", "320000"),
    ("320585", "太仓市", "district", "320500"),
]

# (name, region, GB/T 4754-2017 class, discrete|process, scale, revenue in 10k yuan, strategic emerging)
ENTERPRISES = [
    ("常州恒锐精密机械有限公司", "320412", "3421", "discrete", "medium", 32_000, False),
    ("江苏武进天宇电机有限公司", "320412", "3811", "discrete", "large", 128_000, True),
    ("常州市新瑞汽车零部件有限公司", "320412", "3670", "discrete", "medium", 45_000, False),
    ("武进华纺新材料科技有限公司", "320412", "1752", "process", "small", 9_800, True),
    ("太仓德森精密制造有限公司", "320585", "3484", "discrete", "medium", 56_000, False),
    ("太仓港宏化工有限公司", "320585", "2614", "process", "large", 210_000, False),
    ("太仓优驰智能装备有限公司", "320585", "3491", "discrete", "small", 7_600, True),
    ("江苏太仓瑞丰食品有限公司", "320585", "1439", "process", "small", 12_500, False),
]

PROVIDERS = [
    ("江苏智造云联信息技术有限公司", "320412", "provider1"),
    ("常州数智工业服务有限公司", "320400", "provider2"),
    ("苏州工控咨询有限公司", "320585", "provider3"),
]

# kind, ideal cycle s, networked, protocol, sensor
DEVICE_KINDS = [
    ("CNC", 42.0, True, "json", "full"),
    ("注塑机", 28.0, True, "json", "full"),
    ("冲压机", 6.0, True, "json", "full"),
    ("空压机", 60.0, True, "json", "current"),
    ("老式车床", 90.0, False, "none", "full"),
]

ORDER_STATUSES = [
    OrderStatus.created,
    OrderStatus.assigned,
    OrderStatus.scheduled,
    OrderStatus.on_site,
    OrderStatus.submitted,
    OrderStatus.returned,
    OrderStatus.accepted,
    OrderStatus.accepted,
]


@dataclass(frozen=True)
class DemoLogin:
    """A login printed by `diagnose demo`."""

    username: str
    role: str
    organisation: str


def _uscc(region: str, serial: int) -> str:
    return make_uscc(f"91{region}MA{serial:06d}X")


# Stores an enterprise's telemetry history up to a moment (see `load`).
History = Callable[[Session, int, datetime], object]


def is_loaded(session: Session) -> bool:
    """Whether this database already holds the demo data."""
    return session.exec(select(User).where(User.username == "admin")).first() is not None


def load(session: Session, *, history: History | None = None) -> list[DemoLogin]:
    """Insert the demo data once (idempotent: does nothing if the demo enterprises exist).

    `history(session, enterprise_id, end)` is called before a sample diagnosis is scored, to store the
    telemetry its evidence window measures (the demo passes the collector's backfill; tests pass none).
    """
    if is_loaded(session):
        return logins(session)
    for code, name, level, parent in REGIONS:
        orgs.upsert_region(session=session, code=code, name=name, level=level, parent_code=parent)
    session.flush()
    users: dict[str, User] = {}
    orgs.create_user(
        session=session,
        actor=ACTOR,
        username="admin",
        password=DEMO_PASSWORD,
        display_name="平台管理员",
        role=Role.admin,
    )
    bureaus = {
        "320412": orgs.create_bureau(
            session=session, actor=ACTOR, name="常州市武进区工业和信息化局", region_code="320412"
        ),
        "320585": orgs.create_bureau(
            session=session, actor=ACTOR, name="太仓市工业和信息化局", region_code="320585"
        ),
    }
    for username, region in (("wujin", "320412"), ("taicang", "320585")):
        users[username] = orgs.create_user(
            session=session,
            actor=ACTOR,
            username=username,
            password=DEMO_PASSWORD,
            display_name=f"{bureaus[region].name}",
            role=Role.bureau,
            organisation_id=bureaus[region].id,
        )
    providers = []
    for serial, (name, region, username) in enumerate(PROVIDERS, start=900):
        provider = orgs.create_provider(
            session=session, actor=ACTOR, uscc=_uscc(region, serial), name=name, region_code=region
        )
        providers.append(provider)
        users[username] = orgs.create_user(
            session=session,
            actor=ACTOR,
            username=username,
            password=DEMO_PASSWORD,
            display_name=name,
            role=Role.provider,
            organisation_id=provider.id,
        )
        for bureau in bureaus.values():
            orgs.admit_provider(session=session, actor=ACTOR, bureau_id=bureau.id, provider_id=provider.id)  # type: ignore[arg-type]
    batches = {
        region: orders.create_batch(
            session=session,
            actor=users["wujin" if region == "320412" else "taicang"],
            name=f"{china_today(utcnow()).year}年智改数转免费诊断第一批",
            year=china_today(utcnow()).year,
            budget_fen=300_000_000,
        )
        for region in bureaus
    }
    now = datetime.now(UTC)
    for index, (name, region, industry, itype, scale, revenue_wan, emerging) in enumerate(
        ENTERPRISES, start=1
    ):
        enterprise = orgs.create_enterprise(
            session=session,
            actor=ACTOR,
            uscc=_uscc(region, index),
            name=name,
            region_code=region,
            industry_code=industry,
            industry_type=itype,
            scale=scale,
            revenue_fen=revenue_wan * 10_000 * 100,
            strategic_emerging=emerging,
        )
        users[f"ent{index}"] = orgs.create_user(
            session=session,
            actor=ACTOR,
            username=f"ent{index}",
            password=DEMO_PASSWORD,
            display_name=name,
            role=Role.enterprise,
            organisation_id=enterprise.id,
        )
        _plant_records(session, enterprise.id, DEVICE_KINDS[: 2 + index % 4])  # type: ignore[arg-type]
        for number, (kind, cycle, networked, protocol, sensor) in enumerate(
            DEVICE_KINDS[: 2 + index % 4], start=1
        ):
            devices.register_device(
                session=session,
                actor=ACTOR,
                enterprise_id=enterprise.id,
                external_id=f"D{number:02d}",  # type: ignore[arg-type]
                name=f"{kind} {number}号",
                kind=kind,
                ideal_cycle_s=cycle,
                networked=networked,
                protocol=protocol,
                sensor=sensor,
            )
        _order(
            session,
            index,
            enterprise,
            batches[region].id,
            users,
            providers,
            now,
            ORDER_STATUSES[index - 1],
            history,
        )  # type: ignore[arg-type]
        if index == 1:
            _order(
                session, index, enterprise, batches[region].id, users, providers, now, OrderStatus.cancelled
            )  # type: ignore[arg-type]
    session.flush()
    return logins(session)


def _answers(session: Session, provider_user: User, order: DiagnosisOrder, index: int) -> None:
    """A plausible questionnaire: lower levels mostly met, higher ones partly, a few notes."""
    industry_type = assessments.get_or_create(session=session, order=order).industry_type
    for number, requirement in enumerate(assessments.requirements_for(industry_type)):
        if requirement.level > 3:
            continue
        rating = ("1", "0.8", "0.5", "0")[min(3, requirement.level - 1 + (number + index) % 2)]
        note = "现场查看相关记录与系统截图" if number % 7 == 0 else None
        assessments.save_answer(
            session=session,
            actor=provider_user,
            order=order,
            requirement_id=requirement.id,
            rating=rating,
            evidence_note=note,
        )


def _plant_records(
    session: Session, enterprise_id: int, kinds: list[tuple[str, float, bool, str, str]]
) -> None:
    """The demo plant's equipment ledger (registered below) and its calendar: every day 06:00-24:00, lunch 12-13."""
    for number, (kind, _cycle, networked, _protocol, _sensor) in enumerate(kinds, start=1):
        plant_records.add_equipment(
            session=session,
            actor=ACTOR,
            enterprise_id=enterprise_id,
            raw={
                "code": f"SB-{number:03d}",
                "name": f"{kind} {number}号",
                "kind": kind,
                "connected": "1" if networked else "0",
            },
        )
    for weekday in range(7):
        for kind, start, end in (("shift", "06:00", "00:00"), ("break", "12:00", "13:00")):
            plant_records.add_calendar_rule(
                session=session,
                actor=ACTOR,
                enterprise_id=enterprise_id,
                raw={"kind": kind, "weekday": str(weekday), "start": start, "end": end},
            )


def _order(
    session: Session,
    index: int,
    enterprise: Enterprise,
    batch_id: int,
    users: dict[str, User],
    providers: list[Provider],
    now: datetime,
    status: OrderStatus,
    history: History | None = None,
) -> None:
    """Create one order and walk it through the workflow service to `status`, so the audit log is real."""
    bureau_user = users["wujin" if enterprise.region_code == "320412" else "taicang"]
    provider = providers[index % len(providers)]
    provider_user = users[PROVIDERS[index % len(PROVIDERS)][2]]
    enterprise_user = users[f"ent{index}"]
    kind = "factory" if index % 3 else "workshop"
    order = orders.create_order(
        session=session,
        actor=bureau_user,
        batch_id=batch_id,
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        kind=kind,
        fee_fen=(150_000 if kind == "factory" else 45_000) * 100,
        due_date=(now + timedelta(days=30)).date(),
    )

    def step(action: str, actor: User, **inputs: object) -> None:
        workflow.apply(
            session=session, order=order, action=action, actor=actor, inputs=workflow.Inputs(**inputs)
        )  # type: ignore[arg-type]

    path = PATHS[status]
    for action in path:
        if action == "assign":
            step("assign", bureau_user, provider_id=provider.id)
        elif action == "schedule":
            step("schedule", provider_user, visit_date=(now - timedelta(days=10)).date())
        elif action == "start_visit":
            step("start_visit", provider_user)
            _answers(session, provider_user, order, index)
        elif action == "submit":
            if history is not None:
                history(session, enterprise.id, datetime.now(UTC))  # type: ignore[arg-type]
            assessments.run_scoring(session=session, actor=provider_user, order=order)
            step("submit", provider_user)
        elif action == "confirm":
            step("confirm", enterprise_user)
        elif action == "return":
            step("return", bureau_user, reason="问卷证据不足：设备管理部分缺少点检记录，请补充后重新提交。")
        elif action == "cancel":
            step("cancel", bureau_user, reason="企业年内搬迁，本批次不再诊断。")
        elif action == "rate":
            step("rate", enterprise_user, rating=4 + index % 2, comment="诊断细致，建议切实可行。")
        else:
            step(action, bureau_user)


# The workflow path that brings a new order to each demo status.
PATHS: dict[OrderStatus, tuple[str, ...]] = {
    OrderStatus.created: (),
    OrderStatus.assigned: ("assign",),
    OrderStatus.scheduled: ("assign", "schedule"),
    OrderStatus.on_site: ("assign", "schedule", "start_visit"),
    OrderStatus.submitted: ("assign", "schedule", "start_visit", "submit", "confirm"),
    OrderStatus.returned: ("assign", "schedule", "start_visit", "submit", "confirm", "return"),
    OrderStatus.accepted: ("assign", "schedule", "start_visit", "submit", "confirm", "accept", "rate"),
    OrderStatus.cancelled: ("assign", "cancel"),
}


def logins(session: Session) -> list[DemoLogin]:
    """The demo users, for printing."""
    users = session.exec(select(User).order_by(User.id)).all()  # type: ignore[arg-type]
    return [DemoLogin(u.username, u.role, u.display_name) for u in users]
