"""Procurement batches and diagnosis orders: creation within fee caps and budgets, scoped listing and loading."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, literal_column, or_
from sqlmodel import Session, col, select

from diagnose.models import (
    Bureau,
    BureauProvider,
    DiagnosisOrder,
    Enterprise,
    OrderStatus,
    ProcurementBatch,
    Provider,
    Region,
    Role,
    User,
)
from diagnose.models.base import utcnow
from diagnose.services.accounts import orgs
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis.order_staff import OrderStaff, staff_of
from diagnose.services.supervision import versioned_cache
from scoring.china_time import china_today

__all__ = [
    "OrderStaff",
    "staff_of",
]  # an order's people (diagnose.services.diagnosis.order_staff), read from here too

KINDS = ("factory", "workshop")
_COUNT = versioned_cache.Figure("order_count", TypeAdapter(int))
STATUSES = tuple(s.value for s in OrderStatus)
SORTS = {
    "number": col(DiagnosisOrder.number),
    "enterprise": col(Enterprise.name),
    "status": col(DiagnosisOrder.status),
    "fee": col(DiagnosisOrder.fee_fen),
    "due": col(DiagnosisOrder.due_date),
    "updated": col(DiagnosisOrder.updated_at),
}


@dataclass(frozen=True)
class FeeCap:
    """The highest fee for an order kind in a region, with the rule it comes from and that rule's validity
    (no policy: the project default, used where no policy in force states a cap)."""

    max_fen: int
    source: str
    policy: str | None = None
    number: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    region: str = "default"

    def in_force(self, on: date) -> bool:
        """Whether the cap's policy is in force on that day (the default always is)."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


@dataclass(frozen=True)
class Page:
    """One page of a list, with what the page links need."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @classmethod
    def of(cls, *, session: Session, statement: Any, page: int, per_page: int, rows: Any = list) -> Page:
        """One page of an ordered select: its rows counted (one statement), a page past the end shown as the
        last one, then that page read; `rows` turns the page's result rows into its items."""
        total = int(session.exec(select(func.count()).select_from(statement.order_by(None).subquery())).one())
        page = min(max(page, 1), max(1, -(-total // per_page)))
        found = session.exec(statement.offset((page - 1) * per_page).limit(per_page)).all()
        return cls(list(rows(found)), page, per_page, total)


@cache
def _caps() -> dict[tuple[str, str], list[FeeCap]]:
    raw = json.loads(
        resources.files("diagnose.services.diagnosis").joinpath("fee_caps.json").read_text("utf-8")
    )
    caps: dict[tuple[str, str], list[FeeCap]] = {}
    for c in raw["caps"]:
        caps.setdefault((c["region"], c["kind"]), []).append(
            FeeCap(
                int(c["max_fen"]),
                c["source"],
                policy=c.get("policy"),
                number=c.get("number", ""),
                valid_from=date.fromisoformat(c["valid_from"]) if c.get("valid_from") else None,
                valid_to=date.fromisoformat(c["valid_to"]) if c.get("valid_to") else None,
                region=c["region"],
            )
        )
    return caps


def fee_cap(*, session: Session, region_code: str, kind: str, on: date | None = None) -> FeeCap:
    """The cap for this kind in the region on that day (default today, China time): from the policy in force
    for the region or its nearest ancestor; the project default where no policy in force states one."""
    day = on or china_today(utcnow())
    code: str | None = region_code
    while code is not None:
        for cap in _caps().get((code, kind), []):
            if cap.in_force(day):
                return cap
        region = session.get(Region, code)
        code = region.parent_code if region else None
    return _caps()[("default", kind)][0]


def bureau_regions(*, session: Session, user: User) -> set[str]:
    """Regions a bureau user governs: its bureau's region and every region under it."""
    bureau = orgs.bureau_of(session, user.bureau_id)
    return orgs.region_and_descendants(session=session, code=bureau.region_code) if bureau else set()


def _scope(session: Session, user: User) -> list[Any]:
    """SQL conditions restricting orders to what the user may see (admin sees all)."""
    if user.role == Role.bureau:
        return [col(Enterprise.region_code).in_(bureau_regions(session=session, user=user))]
    if user.role == Role.provider:
        return [DiagnosisOrder.provider_id == user.provider_id]
    if user.role == Role.enterprise:
        return [DiagnosisOrder.enterprise_id == user.enterprise_id]
    return [] if user.role == Role.admin else [col(DiagnosisOrder.id) < 0]


def get_order(*, session: Session, order_id: int, user: User) -> DiagnosisOrder | None:
    """The order if the user may see it, else None (callers answer 404 either way)."""
    statement = (
        select(DiagnosisOrder).join(Enterprise).where(DiagnosisOrder.id == order_id, *_scope(session, user))
    )
    return session.exec(statement).first()


def list_orders(
    *,
    session: Session,
    user: User,
    query: str = "",
    status: str = "",
    sort: str = "updated",
    descending: bool = True,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """Orders in the user's scope matching a search (number or enterprise name) and status, sorted and paged."""
    where = list(_scope(session, user))
    if query.strip():
        term = query.strip()  # % and _ match themselves
        where.append(
            or_(*(col(c).contains(term, autoescape=True) for c in (DiagnosisOrder.number, Enterprise.name)))
        )
    if status:
        where.append(DiagnosisOrder.status == status)
    counted = select(func.count()).select_from(DiagnosisOrder)
    if query.strip() or user.role == Role.bureau:  # else the count is read from the orders' own index
        counted = counted.join(Enterprise)
    if query.strip():
        total = session.exec(counted.where(*where)).one()
    else:  # a list without a search: counted once per version of the tables it reads (in this process: there
        # are as many counts as users' scopes and statuses, too many for the shared figure file)
        statement = counted.where(*where).compile()
        total = versioned_cache.cached(
            ("order_count", str(statement), repr(sorted(statement.params.items()))),
            lambda own: own.exec(counted.where(*where)).one(),
            session=session,
            figure=_COUNT,
            shared=False,
        )
    page = min(max(page, 1), max(1, -(-int(total) // per_page)))  # past the end shows the last page
    order_by = SORTS.get(sort, SORTS["updated"])
    if (
        user.role == Role.bureau
        and order_by is SORTS["updated"]
        and session.get_bind().dialect.name == "sqlite"
    ):
        # SQLite reads every order of the bureau's enterprises by region and sorts them all for a page of 20
        # (~25 ms of CPU for 10,000 orders); told the region test nearly always holds, it walks the orders'
        # index on updated_at instead and stops at the page. PostgreSQL plans this itself.
        where[0] = func.likelihood(where[0], literal_column("0.9"))
    statement = (
        select(DiagnosisOrder, Enterprise)
        .join(Enterprise)
        .where(*where)
        .order_by(order_by.desc() if descending else order_by.asc(), col(DiagnosisOrder.id).desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(session.exec(statement).all()), max(page, 1), per_page, int(total))


def create_batch(*, session: Session, actor: User, name: str, year: int, budget_fen: int) -> ProcurementBatch:
    """A bureau's procurement batch with its budget in fen."""
    if actor.role != Role.bureau or actor.bureau_id is None:
        raise ValidationError("actor", "bureau_only")
    if not name.strip():
        raise ValidationError("name", "required")
    if budget_fen <= 0:
        raise ValidationError("budget_fen", "positive")
    batch = ProcurementBatch(bureau_id=actor.bureau_id, name=name.strip(), year=year, budget_fen=budget_fen)
    session.add(batch)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="batch.create",
        entity="batch",
        entity_id=batch.id,
        detail={"name": batch.name, "budget_fen": budget_fen},
    )
    return batch


def committed_fen(*, session: Session, batch_id: int) -> int:
    """Sum of the fees of the batch's orders that are not cancelled."""
    total = session.exec(
        select(func.coalesce(func.sum(DiagnosisOrder.fee_fen), 0)).where(
            DiagnosisOrder.batch_id == batch_id, DiagnosisOrder.status != OrderStatus.cancelled
        )
    ).one()
    return int(total)


@dataclass(frozen=True)
class BatchBudget:
    """A batch's budget, the fees committed against it (orders not cancelled) and what remains."""

    budget_fen: int
    committed_fen: int

    @property
    def remaining_fen(self) -> int:
        """What can still be ordered in the batch."""
        return self.budget_fen - self.committed_fen


def batch_budget(*, session: Session, batch: ProcurementBatch) -> BatchBudget:
    """The one computation of a batch's committed and remaining budget, for every page that shows it."""
    return BatchBudget(batch.budget_fen, committed_fen(session=session, batch_id=batch.id))  # type: ignore[arg-type]


def list_batches(*, session: Session, bureau_id: int) -> list[tuple[ProcurementBatch, int]]:
    """A bureau's batches, newest first, each with the fees committed against it (see `batch_budget`)."""
    committed = (
        select(func.coalesce(func.sum(DiagnosisOrder.fee_fen), 0))
        .where(DiagnosisOrder.batch_id == ProcurementBatch.id, DiagnosisOrder.status != OrderStatus.cancelled)
        .correlate(ProcurementBatch)
        .scalar_subquery()
    )  # the same sum as committed_fen, for every batch in one statement
    rows = session.exec(
        select(ProcurementBatch, committed)
        .where(ProcurementBatch.bureau_id == bureau_id)
        .order_by(col(ProcurementBatch.id).desc())
    ).all()
    return [(b, int(used)) for b, used in rows]


def _next_number(session: Session, bureau_id: int, year: int) -> str:
    count = session.exec(
        select(func.count()).select_from(DiagnosisOrder).where(DiagnosisOrder.bureau_id == bureau_id)
    ).one()
    return f"ZD{year}-{bureau_id:02d}-{int(count) + 1:04d}"


def _yuan_text(fen: int) -> str:
    """Fen as plain yuan text for a message ('200000' or '345000.50'); pages render it as ¥200,000.00."""
    whole, part = divmod(fen, 100)
    return f"{whole}.{part:02d}" if part else str(whole)


def create_order(
    *,
    session: Session,
    actor: User,
    batch_id: int,
    enterprise_id: int,
    kind: str,
    fee_fen: int,
    due_date: date | None = None,
) -> DiagnosisOrder:
    """A new order in a bureau's batch for an enterprise of its regions, within the fee cap and the budget."""
    if actor.role != Role.bureau or actor.bureau_id is None:
        raise ValidationError("actor", "bureau_only")
    batch = session.get(ProcurementBatch, batch_id)
    if batch is None or batch.bureau_id != actor.bureau_id:
        raise ValidationError("batch_id", "unknown_batch")
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.region_code not in bureau_regions(session=session, user=actor):
        raise ValidationError("enterprise_id", "unknown_enterprise")
    if kind not in KINDS:
        raise ValidationError("kind", "factory_or_workshop")
    cap = fee_cap(session=session, region_code=enterprise.region_code, kind=kind)
    if not 0 < fee_fen <= cap.max_fen:
        raise ValidationError("fee_fen", "fee_cap", max_fen=cap.max_fen)
    budget = batch_budget(session=session, batch=batch)
    if fee_fen > budget.remaining_fen:
        raise ValidationError("fee_fen", "budget_exceeded", remaining_fen=budget.remaining_fen)
    order = DiagnosisOrder(
        number=_next_number(session, actor.bureau_id, batch.year),
        bureau_id=actor.bureau_id,
        batch_id=batch_id,
        enterprise_id=enterprise_id,
        kind=kind,
        fee_fen=fee_fen,
        status=OrderStatus.created,
        due_date=due_date,
    )
    session.add(order)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="order.create",
        entity="order",
        entity_id=order.id,
        detail={"to": "created", "number": order.number, "fee_fen": fee_fen, "kind": kind},
    )
    return order


def enterprises_in_scope(*, session: Session, user: User) -> list[Enterprise]:
    """Enterprises a bureau may order diagnoses for, by name."""
    regions = bureau_regions(session=session, user=user)
    return list(
        session.exec(
            select(Enterprise).where(col(Enterprise.region_code).in_(regions)).order_by(Enterprise.name)
        )
    )


def pool(*, session: Session, bureau_id: int) -> list[Provider]:
    """The providers in a bureau's resource pool."""
    statement = (
        select(Provider)
        .join(BureauProvider, col(BureauProvider.provider_id) == Provider.id)
        .where(BureauProvider.bureau_id == bureau_id)
        .order_by(Provider.name)
    )
    return list(session.exec(statement))


def timeline(*, session: Session, order: DiagnosisOrder) -> list[dict[str, Any]]:
    """The order's status changes from the audit log, oldest first, for the state timeline.

    `actor` is the person by name (never the login; '' for one of the platform's own processes, such as the
    demo loader), `actor_org` the organisation they act for."""
    rows = [
        r
        for r in audit_log.entries_for(session=session, entity="order", entity_id=order.id)
        if r.action.startswith("order.")
    ]
    people = actors(session=session, user_ids={r.actor_user_id for r in rows if r.actor_user_id})
    return [
        {
            "at": r.at.isoformat(),
            "action": r.action.removeprefix("order."),
            # The instruments' change is no status change: its "to" names the instruments, not a status.
            **(
                {"instruments": (r.detail or {}).get("to")}
                if r.action == "order.instruments"
                else (r.detail or {})
            ),
            "actor": people[r.actor_user_id].name if r.actor_user_id in people else "",
            "actor_org": people[r.actor_user_id].organisation if r.actor_user_id in people else "",
        }
        for r in rows
    ]


@dataclass(frozen=True)
class Actor:
    """A person as a record names them: 姓名 (or the login of a legacy account) and their organisation."""

    name: str
    title: str
    organisation: str


def actors(*, session: Session, user_ids: set[int]) -> dict[int, Actor]:
    """Each of these users by name, title and organisation (one query per kind of organisation)."""
    if not user_ids:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(sorted(user_ids)))).all()
    org_names: dict[tuple[str, int], str] = {}
    for attr, model in (("bureau_id", Bureau), ("provider_id", Provider), ("enterprise_id", Enterprise)):
        ids = {getattr(u, attr) for u in users if getattr(u, attr) is not None}
        if ids:
            for ident, name in session.exec(select(model.id, model.name).where(col(model.id).in_(ids))).all():  # type: ignore[attr-defined]
                org_names[(attr, ident)] = name
    found: dict[int, Actor] = {}
    for u in users:
        attr = {Role.bureau: "bureau_id", Role.provider: "provider_id", Role.enterprise: "enterprise_id"}.get(
            u.role
        )
        organisation = org_names.get((attr, getattr(u, attr)), "") if attr else ""
        assert u.id is not None
        found[u.id] = Actor(orgs.display_name(u), u.title, organisation)
    return found
