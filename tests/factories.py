"""Small builders of test data, through the same services the product uses."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from diagnose import workflow
from diagnose.models import Device, DiagnosisOrder, Enterprise, Role, User
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import order_staff, orders
from diagnose.services.shopfloor import devices
from scoring.uscc import make_uscc

ACTOR = "system:test"


def regions(session: Session) -> None:
    """Jiangsu > Changzhou > Wujin; Jiangsu > Suzhou > Taicang."""
    for code, name, level, parent in [
        ("320000", "江苏省", "province", None),
        ("320400", "常州市", "city", "320000"),
        ("320412", "武进区", "district", "320400"),
        ("320500", "苏州市", "city", "320000"),
        ("320585", "太仓市", "district", "320500"),
    ]:
        orgs.upsert_region(session=session, code=code, name=name, level=level, parent_code=parent)
    session.flush()


def uscc(region: str = "320412", serial: int = 1) -> str:
    """A valid unified social credit code."""
    return make_uscc(f"91{region}MA{serial:06d}X")


def enterprise(
    session: Session, *, serial: int = 1, region: str = "320412", name: str = "测试精密机械有限公司"
) -> Enterprise:
    """A registered enterprise."""
    return orgs.create_enterprise(
        session=session,
        actor=ACTOR,
        uscc=uscc(region, serial),
        name=name,
        region_code=region,
        industry_code="3421",
    )


def device(session: Session, enterprise_id: int, external_id: str = "D01", **kwargs: object) -> Device:
    """A registered, active device."""
    return devices.register_device(
        session=session, actor=ACTOR, enterprise_id=enterprise_id, external_id=external_id, **kwargs
    )  # type: ignore[arg-type]


def user(
    session: Session,
    username: str,
    role: Role,
    organisation_id: int | None = None,
    password: str = "correct-horse-9",
    full_name: str = "",
    title: str = "",
) -> User:
    """A user with a known password (and, when given, a name and job title)."""
    return orgs.create_user(
        session=session,
        actor=ACTOR,
        username=username,
        password=password,
        full_name=full_name,
        title=title,
        role=role,
        organisation_id=organisation_id,
    )


def order_on_site(
    session: Session, enterprise_id: int, *, visit: date | None = None
) -> tuple[DiagnosisOrder, User]:
    """An order of the enterprise, assigned to a provider and on site (its questionnaire open): the order and
    the provider's user. Bureau, provider and users are made here (region Wujin)."""
    bureau = orgs.create_bureau(session=session, actor=ACTOR, name="武进区工信局", region_code="320412")
    provider = orgs.create_provider(
        session=session, actor=ACTOR, uscc=uscc("320412", 90), name="测试服务商", region_code="320412"
    )
    orgs.admit_provider(session=session, actor=ACTOR, bureau_id=bureau.id, provider_id=provider.id)  # type: ignore[arg-type]
    bureau_user = user(session, "bureau-o", Role.bureau, bureau.id)
    provider_user = user(session, "provider-o", Role.provider, provider.id)
    batch = orders.create_batch(
        session=session, actor=bureau_user, name="批次", year=2026, budget_fen=25_000_000
    )
    order = orders.create_order(
        session=session,
        actor=bureau_user,
        batch_id=batch.id,  # type: ignore[arg-type]
        enterprise_id=enterprise_id,
        kind="factory",
        fee_fen=20_000_000,
    )
    for action, actor in (
        ("assign", bureau_user),
        ("schedule", provider_user),
        ("start_visit", provider_user),
    ):
        if action == "schedule":
            name_lead(session, order, provider_user)
        workflow.apply(
            session=session,
            order=order,
            action=action,
            actor=actor,
            inputs=workflow.Inputs(provider_id=provider.id, visit_date=visit or date(2026, 11, 20)),
        )
    return order, provider_user


def name_lead(session: Session, order: DiagnosisOrder, provider_user: User) -> None:
    """The provider names its user the order's project lead (needed before the visit is scheduled)."""
    order_staff.set_staff(
        session=session, actor=provider_user, order=order, lead_id=provider_user.id, member_ids=[]
    )  # type: ignore[arg-type]
