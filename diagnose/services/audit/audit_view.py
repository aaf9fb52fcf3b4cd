"""Reading the audit log: a bureau sees entries about its regions (orders, enterprises, devices, batches, its
own people and pool), an administrator sees everything; filtered by action, actor and date, newest first."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, false, or_
from sqlmodel import Session, col, select

from diagnose.models import AuditLog, Device, DiagnosisOrder, Enterprise, ProcurementBatch, Role, User
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis.orders import Actor, Page, actors
from diagnose.services.supervision import supervision_records
from scoring.china_time import CHINA_TZ


def _as_text(column: Any) -> Any:
    return cast(column, String)


def _scope(session: Session, user: User) -> list[Any]:
    if user.role == Role.admin:
        return []
    if user.role != Role.bureau or user.bureau_id is None:
        return [false()]
    regions = supervision_records.bureau_scope(session=session, bureau_id=user.bureau_id)
    enterprises = select(Enterprise.id).where(col(Enterprise.region_code).in_(regions))
    about = {
        "order": select(_as_text(DiagnosisOrder.id)).where(
            col(DiagnosisOrder.enterprise_id).in_(enterprises)
        ),
        "enterprise": select(_as_text(Enterprise.id)).where(col(Enterprise.region_code).in_(regions)),
        "device": select(_as_text(Device.id)).where(col(Device.enterprise_id).in_(enterprises)),
        "batch": select(_as_text(ProcurementBatch.id)).where(ProcurementBatch.bureau_id == user.bureau_id),
    }
    people = select(User.id).where(User.bureau_id == user.bureau_id)
    return [
        or_(
            *(and_(AuditLog.entity == kind, col(AuditLog.entity_id).in_(ids)) for kind, ids in about.items()),
            col(AuditLog.actor_user_id).in_(people),
        )
    ]


def search(
    *,
    session: Session,
    user: User,
    action: str = "",
    actor: str = "",
    start: date | None = None,
    end: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Entries the user may read, matching an action prefix, an actor and China-calendar dates."""
    where = _scope(session, user)
    if action.strip():
        where.append(col(AuditLog.action).startswith(action.strip()))
    if actor.strip():
        term = actor.strip()  # a person's name or login; % and _ match themselves
        named = select(User.id).where(col(User.full_name).contains(term, autoescape=True))
        where.append(
            or_(col(AuditLog.actor).contains(term, autoescape=True), col(AuditLog.actor_user_id).in_(named))
        )
    if start:
        where.append(col(AuditLog.at) >= datetime.combine(start, time(), CHINA_TZ))
    if end:
        where.append(col(AuditLog.at) < datetime.combine(end + timedelta(days=1), time(), CHINA_TZ))
    statement = select(AuditLog).where(*where).order_by(col(AuditLog.id).desc())
    return Page.of(session=session, statement=statement, page=page, per_page=per_page)


def entity_names(*, session: Session, entries: list[AuditLog]) -> dict[tuple[str, str], str]:
    """What each entry is about, in words: the order's number, the organisation's or person's name."""
    from diagnose.models import Bureau, Provider

    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.entity_id.isdigit() and len(e.entity_id) < 12:
            wanted.setdefault(e.entity, set()).add(int(e.entity_id))
    lookups: dict[str, tuple[Any, Any]] = {
        "order": (DiagnosisOrder, DiagnosisOrder.number),
        "enterprise": (Enterprise, Enterprise.name),
        "provider": (Provider, Provider.name),
        "bureau": (Bureau, Bureau.name),
        "user": (User, User.full_name),
        "device": (Device, Device.external_id),
        "batch": (ProcurementBatch, ProcurementBatch.name),
    }
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        if kind not in lookups:
            continue
        model, label = lookups[kind]
        for ident, name in session.exec(select(model.id, label).where(col(model.id).in_(ids))).all():
            names[(kind, str(ident))] = str(name)
    for ident, name in orgs.names_by_id(session=session, user_ids=wanted.get("user", set())).items():
        names[("user", str(ident))] = name  # a person by name (the login only when none is recorded)
    return names


def actor_names(*, session: Session, entries: list[AuditLog]) -> dict[int, Actor]:
    """Who did each entry, by name and organisation (never the login), keyed by the actor's user id."""
    return actors(session=session, user_ids={e.actor_user_id for e in entries if e.actor_user_id})
