"""Small builders of test data, through the same services the product uses."""

from __future__ import annotations

from sqlmodel import Session

from diagnose.models import Device, Enterprise, Role, User
from diagnose.services import devices, orgs
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
) -> User:
    """A user with a known password."""
    return orgs.create_user(
        session=session,
        actor=ACTOR,
        username=username,
        password=password,
        display_name=username,
        role=role,
        organisation_id=organisation_id,
    )
