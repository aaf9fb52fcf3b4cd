"""Demo data that looks real: Wujin and Taicang manufacturers, their devices, providers, bureaus and orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, select

from diagnose import workflow
from diagnose.models import DiagnosisOrder, Enterprise, OrderStatus, Provider, Role, SmePilot, User
from diagnose.models.base import utcnow
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import (
    assessments,
    contradictions,
    evidence_snapshot,
    order_staff,
    orders,
    sme,
)
from diagnose.services.shopfloor import devices, plant_records
from scoring.china_time import CHINA_TZ, china_today, to_china
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

# The people behind the demo logins (姓名, 职务): each provider has a project lead (its first login, which
# leads its orders) and two consultants (`provider1b`, `provider1c`, …) who make up the diagnosis team.
PEOPLE: dict[str, tuple[str, str]] = {
    "admin": ("周建国", "平台运维管理员"),
    "wujin": ("陈立新", "智能制造科科长"),
    "taicang": ("顾雪梅", "企业服务科副科长"),
    "provider1": ("王海涛", "项目经理"),
    "provider1b": ("李静", "高级咨询师"),
    "provider1c": ("赵磊", "数据分析工程师"),
    "provider2": ("刘洋", "诊断项目总监"),
    "provider2b": ("孙婷", "智能制造咨询师"),
    "provider2c": ("周凯", "工业网络工程师"),
    "provider3": ("吴斌", "首席咨询师"),
    "provider3b": ("郑晓燕", "咨询顾问"),
    "provider3c": ("钱伟", "设备数据工程师"),
    "ent1": ("张志强", "生产副总经理"),
    "ent2": ("黄丽", "信息化主管"),
    "ent3": ("蒋文斌", "设备部经理"),
    "ent4": ("徐芳", "总经理助理"),
    "ent5": ("马俊", "智能制造办公室主任"),
    "ent6": ("朱红", "安全环保部部长"),
    "ent7": ("胡晓东", "技术总监"),
    "ent8": ("林小燕", "质量部经理"),
}
TEAM = ("b", "c")  # the consultants of each provider: its first login with these suffixes


def _phone(index: int) -> str:
    """A made-up mobile number in the 139 0000 xxxx block (never a real subscriber's)."""
    return f"139 0000 {1000 + index:04d}"


# kind, ideal cycle s, networked, protocol, sensor
DEVICE_KINDS = [
    ("CNC", 42.0, True, "json", "full"),
    ("注塑机", 28.0, True, "json", "full"),
    ("冲压机", 6.0, True, "json", "full"),
    ("空压机", 60.0, True, "json", "current"),
    ("老式车床", 90.0, False, "none", "full"),
]


@dataclass(frozen=True)
class Scenario:
    """One demo order's life, in days from today (China time; negative: past): created, assigned, the visit on
    which the provider scores, then the later steps. `evidence_h` hours of telemetry end at the scoring (a
    week, or 0.2 h for the plant with too little data); `live_h` hours end now (the order still to be scored)."""

    status: OrderStatus
    created: int
    assigned: int | None = None
    visit: int | None = None
    steps: tuple[tuple[str, int], ...] = ()  # later actions and their day
    evidence_h: float = 0.0
    live_h: float = 0.0
    kind: str = ""  # factory | workshop (default by enterprise)
    instruments: str = "cmmm"  # both: the visit also rates the SME digital level; sme: that alone (issue #26)
    sme_answers: str = ""  # the SME_ANSWERS set the consultant starts from (default: by the enterprise)


WEEK_H = 7 * 24.0
# Every date in order: created ≤ assigned ≤ visit (scored on site, on the evidence of the days before it)
# ≤ submitted ≤ confirmed ≤ accepted (issue #22). Wujin: a scored diagnosis on a full week (its roadmap earns
# Changzhou's award, in force), one scored on 0.2 h (数据不足 everywhere), one on site, one scheduled, one new.
SCENARIOS: dict[int, tuple[Scenario, ...]] = {
    1: (
        Scenario(
            OrderStatus.accepted,
            -30,
            -29,
            -20,
            (("submit", -20), ("confirm", -19), ("accept", -18)),
            WEEK_H,
            instruments="both",
        ),
        Scenario(OrderStatus.cancelled, -15, -14, None, (("cancel", -13),)),
    ),
    2: (Scenario(OrderStatus.submitted, -10, -9, -3, (("submit", -3),), 0.2),),
    3: (Scenario(OrderStatus.scheduled, -6, -5, 3), Scenario(OrderStatus.created, -1, kind="workshop")),
    4: (Scenario(OrderStatus.on_site, -8, -7, 0, live_h=WEEK_H, instruments="both"),),
    5: (Scenario(OrderStatus.submitted, -12, -11, -5, (("submit", -5), ("confirm", -4)), WEEK_H),),
    6: (
        Scenario(
            OrderStatus.returned, -25, -24, -10, (("submit", -10), ("confirm", -9), ("return", -8)), WEEK_H
        ),
    ),
    7: (
        Scenario(
            OrderStatus.accepted,
            -28,
            -27,
            -14,
            (("submit", -14), ("confirm", -13), ("accept", -12), ("rate", -11)),
            WEEK_H,
            instruments="both",
        ),
        Scenario(OrderStatus.assigned, -2, -1, kind="workshop"),
    ),
    # A food plant rated on both instruments before its retrofit, then on the SME digital level alone after it
    # (issue #26): the before/after comparison and the 成效 items against the earlier week.
    8: (
        Scenario(OrderStatus.created, -1),
        Scenario(
            OrderStatus.accepted,
            -45,
            -44,
            -38,
            (("submit", -38), ("confirm", -37), ("accept", -36)),
            WEEK_H,
            instruments="both",
        ),
        Scenario(
            OrderStatus.submitted,
            -6,
            -5,
            -2,
            (("submit", -2),),
            WEEK_H,
            instruments="sme",
            sme_answers="advanced",
        ),
    ),
}


@dataclass(frozen=True)
class DemoLogin:
    """A login printed by `diagnose demo`: the person, their organisation, and what there is to do."""

    username: str
    role: str
    organisation: str
    task: str = ""
    name: str = ""


def _uscc(region: str, serial: int) -> str:
    return make_uscc(f"91{region}MA{serial:06d}X")


# Stores an enterprise's telemetry history over [start, end) (see `load`).
History = Callable[[Session, int, datetime, datetime], object]


def is_loaded(session: Session) -> bool:
    """Whether this database already holds the demo data."""
    return session.exec(select(User).where(User.username == "admin")).first() is not None


def load(session: Session, *, history: History | None = None) -> list[DemoLogin]:
    """Insert the demo data once (idempotent: does nothing if the demo enterprises exist).

    `history(session, enterprise_id, start, end)` stores the telemetry a sample diagnosis measures before it
    is scored, and the week up to now of the plants still to be scored (the demo passes the collector's
    backfill; tests pass none).
    """
    if is_loaded(session):
        return logins(session)
    for code, name, level, parent in REGIONS:
        orgs.upsert_region(session=session, code=code, name=name, level=level, parent_code=parent)
    session.flush()
    users: dict[str, User] = {}
    _user(session, "admin", Role.admin)
    bureaus = {
        "320412": orgs.create_bureau(
            session=session, actor=ACTOR, name="常州市武进区工业和信息化局", region_code="320412"
        ),
        "320585": orgs.create_bureau(
            session=session, actor=ACTOR, name="太仓市工业和信息化局", region_code="320585"
        ),
    }
    for username, region in (("wujin", "320412"), ("taicang", "320585")):
        users[username] = _user(session, username, Role.bureau, bureaus[region].id)
    providers = []
    for serial, (name, region, username) in enumerate(PROVIDERS, start=900):
        provider = orgs.create_provider(
            session=session, actor=ACTOR, uscc=_uscc(region, serial), name=name, region_code=region
        )
        providers.append(provider)
        for login in (username, *(username + suffix for suffix in TEAM)):
            users[login] = _user(session, login, Role.provider, provider.id)
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
    now = datetime.now(UTC).replace(microsecond=0)
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
        # Suzhou (Taicang) is a first-batch SME digital-transformation pilot city (财建〔2023〕117号); whether
        # Changzhou is one is unconfirmed, so the demo marks only Taicang's enterprises.
        if region == "320585":
            session.add(SmePilot(enterprise_id=enterprise.id))
        users[f"ent{index}"] = _user(session, f"ent{index}", Role.enterprise, enterprise.id)
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
        for scenario in SCENARIOS[index]:
            _order(session, index, enterprise, batches[region].id, users, providers, now, scenario, history)  # type: ignore[arg-type]
    session.flush()
    return logins(session)


def _user(session: Session, username: str, role: Role, organisation_id: int | None = None) -> User:
    """A demo login with its person's name, job title and a made-up phone number."""
    full_name, title = PEOPLE[username]
    return orgs.create_user(
        session=session,
        actor=ACTOR,
        username=username,
        password=DEMO_PASSWORD,
        full_name=full_name,
        title=title,
        phone=_phone(list(PEOPLE).index(username)),
        role=role,
        organisation_id=organisation_id,
    )


# Enterprises further along: levels 1 and 2 met, level 3 in part (a level-2 plant whose roadmap to level 3
# can earn Changzhou's provincial smart-factory award, 常工信综合〔2021〕62号 clause 3, in force).
ADVANCED = {1}


def _answers(session: Session, provider_user: User, order: DiagnosisOrder, index: int) -> None:
    """A plausible questionnaire: lower levels mostly met, higher ones partly, a few notes."""
    industry_type = assessments.get_or_create(session=session, order=order).industry_type
    for number, requirement in enumerate(assessments.requirements_for(industry_type)):
        if requirement.level > 3:
            continue
        if index in ADVANCED:
            rating = "1" if requirement.level < 3 else ("0.8", "0.5", "0.5")[number % 3]
        else:
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
    for number, (kind, _cycle, networked, _protocol, sensor) in enumerate(kinds, start=1):
        plant_records.add_equipment(
            session=session,
            actor=ACTOR,
            enterprise_id=enterprise_id,
            raw={
                "code": f"SB-{number:03d}",
                "name": f"{kind} {number}号",
                "kind": kind,
                "connected": "1" if networked else "0",
                # Its own digital control; a machine reached through a retrofitted clamp-on meter has none.
                "digital": "1" if networked and sensor == "full" else "0",
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


def _at(now: datetime, day: int, clock: str) -> datetime:
    """`day` days from today at a China-time clock, as UTC."""
    today = to_china(now).date() + timedelta(days=day)
    return datetime.combine(today, time.fromisoformat(clock), CHINA_TZ).astimezone(UTC)


def _order(
    session: Session,
    index: int,
    enterprise: Enterprise,
    batch_id: int,
    users: dict[str, User],
    providers: list[Provider],
    now: datetime,
    scenario: Scenario,
    history: History | None = None,
) -> None:
    """Create one order and walk it through the workflow service on its scenario's dates, so the audit log is
    real (its rows say when the demo wrote them) and the order's own dates are in order."""
    bureau_user = users["wujin" if enterprise.region_code == "320412" else "taicang"]
    provider = providers[index % len(providers)]
    provider_user = users[PROVIDERS[index % len(PROVIDERS)][2]]
    enterprise_user = users[f"ent{index}"]
    kind = scenario.kind or ("factory" if index % 3 else "workshop")
    order = orders.create_order(
        session=session,
        actor=bureau_user,
        batch_id=batch_id,
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        kind=kind,
        fee_fen=(150_000 if kind == "factory" else 45_000) * 100,
        due_date=max(_at(now, scenario.created + 40, "17:00"), now + timedelta(days=1)).date(),
    )
    order.created_at = order.updated_at = min(_at(now, scenario.created, "09:00"), now)
    session.add(order)

    def step(action: str, actor: User, when: datetime, **inputs: object) -> None:
        workflow.apply(
            session=session,
            order=order,
            action=action,
            actor=actor,
            inputs=workflow.Inputs(**inputs),  # type: ignore[arg-type]
            now=min(when, now),
        )

    if scenario.assigned is not None:
        step("assign", bureau_user, _at(now, scenario.assigned, "10:00"), provider_id=provider.id)
        # The provider names its team (its lead and, for a factory-level diagnosis, both consultants).
        lead_login = PROVIDERS[index % len(PROVIDERS)][2]
        team = TEAM if kind == "factory" else TEAM[:1]
        order_staff.set_staff(
            session=session,
            actor=provider_user,
            order=order,
            lead_id=provider_user.id,  # type: ignore[arg-type]
            member_ids=[users[lead_login + suffix].id for suffix in team],  # type: ignore[misc]
        )
    if scenario.instruments != "cmmm":
        sme.set_instruments(
            session=session, actor=provider_user, order=order, instruments=scenario.instruments
        )
    if scenario.visit is not None:
        visit = _at(now, scenario.visit, "09:00")
        planned_on = _at(now, scenario.assigned or scenario.created, "15:00")
        step("schedule", provider_user, planned_on, visit_date=to_china(visit).date())
    if history is not None and scenario.live_h:
        history(session, enterprise.id, now - timedelta(hours=scenario.live_h), now)  # type: ignore[arg-type]
    if scenario.visit is not None and scenario.visit <= 0:
        step("start_visit", provider_user, _at(now, scenario.visit, "09:00"))
        if order.rates_cmmm:
            _answers(session, provider_user, order, index)
        if scenario.instruments != "cmmm" and not scenario.steps:
            # Still on site: the SME questionnaire half done (the measured proposals taken or overridden).
            _sme_answers(session, provider_user, order, index, now, partly=True, kind=scenario.sme_answers)
    if any(action == "submit" for action, _ in scenario.steps):
        scored = _at(now, scenario.visit or 0, "11:00")
        if history is not None:
            history(session, enterprise.id, scored - timedelta(hours=scenario.evidence_h), scored)  # type: ignore[arg-type]
        if order.rates_cmmm:
            assessments.run_scoring(session=session, actor=provider_user, order=order, now=scored)
            _decide_contradictions(session, provider_user, order, scored)
        if scenario.instruments != "cmmm":
            _sme_answers(session, provider_user, order, index, scored, kind=scenario.sme_answers)
            sme.score(session=session, actor=provider_user, order=order, now=scored + timedelta(minutes=40))
    for action, day in scenario.steps:
        when = _at(now, day, "16:00" if action == "submit" else "10:00")
        if action == "submit":
            step("submit", provider_user, when)
        elif action == "confirm":
            step("confirm", enterprise_user, when)
        elif action == "return":
            step(
                "return",
                bureau_user,
                when,
                reason="问卷证据不足：设备管理部分缺少点检记录，请补充后重新提交。",
            )
        elif action == "cancel":
            step("cancel", bureau_user, when, reason="企业年内搬迁，本批次不再诊断。")
        elif action == "rate":
            step("rate", enterprise_user, when, rating=4 + index % 2, comment="诊断细致，建议切实可行。")
        else:
            step(action, bureau_user, when)
    if order.status != scenario.status:
        raise RuntimeError(f"demo order of ent{index} ended {order.status}, not {scenario.status}")


def _decide_contradictions(
    session: Session, consultant: User, order: DiagnosisOrder, scored: datetime
) -> None:
    """The consultant decides each self-rating the data contradict before submitting, as the workflow asks:
    the first is changed to what the data support (and scored again), the others kept with a reason."""
    for number, item in enumerate(contradictions.items(session=session, order=order)):
        if number == 0:
            contradictions.decide(
                session=session, actor=consultant, order=order, requirement_id=item.requirement_id,
                decision="changed", new_rating=item.proposed, now=scored,
                reason="现场核对后采纳实测数据。",
            )  # fmt: skip
        else:
            contradictions.decide(
                session=session, actor=consultant, order=order, requirement_id=item.requirement_id,
                decision="kept", now=scored + timedelta(minutes=20 + number),
                reason="部分联网设备只上传报警信号，生产数据未实时传输至管理系统，现场查看系统日志核实，自评属实。",
            )  # fmt: skip


# SME digital-level answers of the demo (the consultant's, before the measured proposals are applied): an
# enterprise further along (二级, as tests/cases/sme/level2.json) and one starting out (一级).
SME_ANSWERS: dict[str, dict[str, dict[str, object]]] = {
    "advanced": {
        "items": {
            "F1": ["industrial_network", "application_network", "industrial_5g", "full_coverage"],
            "F2": "le60", "F3": "le40",
            "F4": ["production_control", "quality", "equipment", "energy", "finance", "warehousing", "purchasing"],
            "F5": "most", "F6": ["rules", "products", "risk_assessment"], "F7": ["rules", "products"],
            "M1": "changed", "M2": ["workflow", "systems_operation", "data_resources"],
            "M3": ["staff", "department", "training"], "M4": "le20",
            "R1": "down", "R2": "up", "R3": "flat", "R4": "flat",
        },
        "scenarios": {
            "product_design": 2, "process_design": 1, "marketing": 3, "after_sales": 2, "scheduling": 2,
            "production_control": 3, "quality": 3, "equipment": 3, "safety": 2, "energy": 2, "purchasing": 2,
            "warehousing": 2, "finance": 3, "hr": 2, "office": 3, "decision_support": 2,
        },
    },
    "starting": {
        "items": {
            "F1": ["industrial_network", "application_network"], "F2": "le40", "F3": "le40",
            "F4": ["production_control", "finance"], "F5": "several", "F6": ["rules"], "F7": ["rules"],
            "M1": "started", "M2": ["workflow"], "M3": ["staff"], "M4": "le10",
            "R1": "flat", "R2": "up", "R3": "flat", "R4": "flat",
        },
        "scenarios": {
            "product_design": 1, "process_design": 0, "marketing": 2, "after_sales": 1, "scheduling": 1,
            "production_control": 2, "quality": 2, "equipment": 1, "safety": 1, "energy": 1, "purchasing": 1,
            "warehousing": 1, "finance": 2, "hr": 1, "office": 2, "decision_support": 0,
        },
    },
}  # fmt: skip
NETWORKING_BANDS = ("le10", "le20", "le40", "le60", "gt60")
SME_F3_REASON = "现场另有 2 台老式设备未登记在台账中且未联网，按实际生产设备计联网率约 60%，下调一档。"
SME_OVERRIDE_REASON = "设备状态虽已实时采集，但点检、维修记录仍为纸质，未与设备管理系统集成，按二级评定。"


def _sme_answers(
    session: Session,
    consultant: User,
    order: DiagnosisOrder,
    index: int,
    when: datetime,
    partly: bool = False,
    kind: str = "",
) -> None:
    """The consultant's SME answers: where the plant's measured week proposes one it is accepted (a partial
    data-capture proposal joined to what the consultant saw), except the 设备管理 scenario, overridden with a
    reason; `partly` stops halfway (an order still on site)."""
    answers = SME_ANSWERS[kind or ("advanced" if index in ADVANCED else "starting")]
    # Scored: the week the CMMM scoring measured (its stored snapshot: one set of figures per diagnosis).
    result = assessments.latest_result(session=session, order=order)
    snapshot = evidence_snapshot.of_result(session=session, result=result) if result is not None else None
    proposals = sme.proposals(session=session, order=order, now=when, snapshot=snapshot)
    keys = [("items", k) for k in answers["items"]] + [("scenarios", k) for k in answers["scenarios"]]
    for number, (section, key) in enumerate(keys):
        if partly and number % 2:
            continue
        value: object = answers[section][key]
        proposal = proposals.get(key)
        reason = ""
        if proposal is not None and proposal.value is not None:
            if key == "equipment" and isinstance(proposal.value, int) and proposal.value > 1:
                value, reason = proposal.value - 1, SME_OVERRIDE_REASON
            elif key == "F3" and index in ADVANCED and proposal.value in NETWORKING_BANDS[1:]:
                value = NETWORKING_BANDS[NETWORKING_BANDS.index(str(proposal.value)) - 1]
                reason = SME_F3_REASON
            elif isinstance(proposal.value, tuple):
                value = sorted(set(proposal.value) | set(value))  # type: ignore[arg-type]
            else:
                value = proposal.value
        sme.save_answer(
            session=session, actor=consultant, order=order, key=key, value=value, reason=reason,  # type: ignore[arg-type]
            proposal=proposal,
        )  # fmt: skip


def logins(session: Session) -> list[DemoLogin]:
    """The demo users, for printing, each with what there is for them to do."""
    users = session.exec(select(User).order_by(User.id)).all()  # type: ignore[arg-type]
    people = orders.actors(session=session, user_ids={u.id for u in users if u.id is not None})
    return [
        DemoLogin(
            u.username,
            u.role,
            people[u.id].organisation or "平台",  # type: ignore[index]
            task_of(session, u),
            f"{orgs.display_name(u)}（{u.title}）" if u.title else orgs.display_name(u),
        )
        for u in users
    ]


def task_of(session: Session, user: User) -> str:
    """What a demo login has to do or read (a bureau's, provider's and enterprise's orders by status)."""
    if user.role == Role.admin:
        return "管理用户、机构与行政区"
    column, organisation = {
        Role.bureau: (DiagnosisOrder.bureau_id, user.bureau_id),
        Role.provider: (DiagnosisOrder.provider_id, user.provider_id),
        Role.enterprise: (DiagnosisOrder.enterprise_id, user.enterprise_id),
    }[Role(user.role)]
    found: list[str] = []
    for order in session.exec(
        select(DiagnosisOrder).where(column == organisation).order_by(DiagnosisOrder.id)
    ):  # type: ignore[arg-type]
        if (
            user.role == Role.enterprise
            and order.status == OrderStatus.submitted
            and order.confirmed_at is None
        ):
            found.append("确认现场诊断")
        if user.role == Role.enterprise and order.status == OrderStatus.accepted and order.rating is None:
            found.append("评价服务")
        task = TASKS[Role(user.role)].get(order.status)
        if task:
            found.append(task)
    return "；".join(dict.fromkeys(found)) or "查看订单进度"


TASKS: dict[Role, dict[OrderStatus, str]] = {
    Role.bureau: {
        OrderStatus.created: "为新订单指派服务商",
        OrderStatus.submitted: "验收已提交的诊断",
        OrderStatus.accepted: "阅读已验收的诊断报告，查看监管",
        OrderStatus.returned: "跟进退回的诊断",
    },
    Role.provider: {
        OrderStatus.assigned: "安排现场诊断日期",
        OrderStatus.scheduled: "开始现场诊断",
        OrderStatus.on_site: "填写问卷并评分",
        OrderStatus.returned: "补充证据后重新提交",
        OrderStatus.submitted: "出具诊断报告",
        OrderStatus.accepted: "出具诊断报告",
    },
    Role.enterprise: {
        OrderStatus.submitted: "阅读诊断结果",
        OrderStatus.accepted: "阅读诊断结果与报告",
        OrderStatus.returned: "阅读退回的诊断结果",
        OrderStatus.on_site: "查看现场诊断与设备实时状态",
        OrderStatus.scheduled: "查看诊断安排与设备实时状态",
        OrderStatus.assigned: "查看订单进度与设备实时状态",
        OrderStatus.created: "查看订单进度与设备实时状态",
    },
}
