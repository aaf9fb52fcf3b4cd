"""Load the audit's plain records from the database: orders, outcomes, batches and diagnoses with evidence."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from diagnose.models import (
    Answer,
    Assessment,
    AuditLog,
    DiagnosisOrder,
    Enterprise,
    EnterpriseOutcome,
    ProcurementBatch,
    Result,
    SubdomainTailoring,
    Telemetry,
)
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.diagnosis import orders as order_service
from diagnose.services.telemetry import telemetry_queries
from scoring.china_time import CHINA_TZ, china_today
from scoring.supervision import BatchRecord, DiagnosisRecord, Evidence, FeeCap, OrderRecord, OutcomeRecord


def china_date(moment: datetime | None) -> date | None:
    """The China calendar date of a UTC timestamp."""
    return china_today(moment) if moment is not None else None


def bureau_scope(*, session: Session, bureau_id: int) -> set[str]:
    """The region codes a bureau governs: its own and every one under it."""
    bureau = orgs.bureau_of(session, bureau_id)
    return orgs.region_and_descendants(session=session, code=bureau.region_code) if bureau else set()


def bureau_scope_of_region(*, session: Session, code: str) -> set[str]:
    """A region's code and every code under it."""
    return orgs.region_and_descendants(session=session, code=code)


def _scope(statement: Any, regions: set[str]) -> Any:
    return statement.join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id).where(
        col(Enterprise.region_code).in_(regions), col(DiagnosisOrder.provider_id).is_not(None)
    )


def _orders_in(session: Session, regions: set[str]) -> list[tuple[DiagnosisOrder, Enterprise]]:
    statement = _scope(select(DiagnosisOrder, Enterprise), regions).order_by(col(DiagnosisOrder.id))
    return [(o, e) for o, e in session.exec(statement).all()]


def _return_reasons(session: Session, order_ids: set[int]) -> dict[int, list[str]]:
    # The workflow logs every return with its reason (order.return); the order keeps only the last one.
    # Returns are few beside orders: read them all rather than name tens of thousands of ids in an IN list.
    rows = session.exec(
        select(AuditLog.entity_id, AuditLog.detail)
        .where(AuditLog.action == "order.return")
        .order_by(col(AuditLog.id))
    ).all()
    reasons: dict[int, list[str]] = defaultdict(list)
    for entity_id, detail in rows:
        if entity_id is not None and str(entity_id).isdigit() and int(entity_id) in order_ids:
            reasons[int(entity_id)].append(str((detail or {}).get("reason", "")).strip() or "—")
    return reasons


_ORDER_COLUMNS = (
    DiagnosisOrder.id,
    DiagnosisOrder.provider_id,
    DiagnosisOrder.enterprise_id,
    DiagnosisOrder.kind,
    DiagnosisOrder.fee_fen,
    DiagnosisOrder.status,
    DiagnosisOrder.batch_id,
    DiagnosisOrder.assigned_at,
    DiagnosisOrder.created_at,
    DiagnosisOrder.due_date,
    DiagnosisOrder.submitted_at,
    DiagnosisOrder.accepted_at,
    DiagnosisOrder.return_reason,
    DiagnosisOrder.rating,
)


def order_records(
    *, session: Session, regions: set[str], start: date | None = None, end: date | None = None
) -> list[OrderRecord]:
    """Every assigned order of enterprises in these regions; with `start`/`end`, only those assigned (or,
    never assigned, created) in that China-calendar period. Plain columns, not ORM objects: a city has
    tens of thousands of orders and the league table reads them all."""
    statement = _scope(select(*_ORDER_COLUMNS), regions)
    assigned = func.coalesce(DiagnosisOrder.assigned_at, DiagnosisOrder.created_at)
    since = _day_start_or_none(start)
    if since is not None:
        statement = statement.where(assigned >= since)
    until = _day_start_or_none(end + timedelta(days=1)) if end is not None and end < date.max else None
    if until is not None:
        statement = statement.where(assigned < until)
    rows = session.exec(statement.order_by(col(DiagnosisOrder.id))).all()
    reasons = _return_reasons(session, {row[0] for row in rows})
    records = []
    for (
        order_id, provider_id, enterprise_id, kind, fee_fen, status, batch_id,
        assigned_at, created_at, due_date, submitted_at, accepted_at, return_reason, rating,
    ) in rows:  # fmt: skip
        own = reasons.get(order_id) or ([return_reason] if return_reason else [])
        records.append(
            OrderRecord(
                order_id=order_id,
                provider_id=provider_id,
                enterprise_id=enterprise_id,
                kind=kind,
                fee_fen=fee_fen,
                status=str(status),
                batch_id=batch_id,
                assigned_on=china_date(assigned_at) or china_date(created_at),
                due_date=due_date,
                submitted_on=china_date(submitted_at),
                accepted_on=china_date(accepted_at),
                return_reasons=tuple(own),
                rating=rating,
            )
        )
    return records


def outcome_records(*, session: Session, enterprise_ids: set[int]) -> list[OutcomeRecord]:
    """Retrofits and recognitions of these enterprises."""
    rows = session.exec(
        select(EnterpriseOutcome).where(col(EnterpriseOutcome.enterprise_id).in_(enterprise_ids))
    ).all()
    return [OutcomeRecord(r.enterprise_id, r.kind, r.on_date, r.source) for r in rows]


def batch_records(*, session: Session, bureau_id: int) -> list[BatchRecord]:
    """The bureau's procurement batches."""
    rows = session.exec(select(ProcurementBatch).where(ProcurementBatch.bureau_id == bureau_id)).all()
    return [BatchRecord(b.id or 0, b.name, b.budget_fen) for b in rows]


def fee_caps(*, session: Session, region_code: str) -> dict[str, FeeCap]:
    """The order service's fee caps for the region, by kind (003 clause (六) in Taicang)."""
    caps = {}
    for kind in order_service.KINDS:
        cap = order_service.fee_cap(session=session, region_code=region_code, kind=kind)
        caps[kind] = FeeCap(kind, cap.max_fen, cap.source)
    return caps


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA_TZ).astimezone(UTC)


def _day_start_or_none(day: date | None) -> datetime | None:
    """The day's start in UTC; None for no day, or one at the calendar's edge (which bounds nothing)."""
    if day is None:
        return None
    try:
        return _day_start(day)
    except OverflowError:
        return None


def evidence_for(
    *, session: Session, order: DiagnosisOrder, window_days: int, silence_timeout_s: float
) -> Evidence:
    """What the platform measured at the order's enterprise from assignment to submission."""
    devices = telemetry_queries.enterprise_devices(session=session, enterprise_id=order.enterprise_id)
    production = [d for d in devices if d.production]
    end = order.submitted_at or order.updated_at
    counts = dict(
        session.exec(
            select(Telemetry.device_id, func.count())
            .where(col(Telemetry.device_id).in_([d.id for d in devices]), col(Telemetry.ts) <= end)
            .group_by(col(Telemetry.device_id))
        ).all()
    )
    visit_messages = 0
    if order.visit_date is not None:
        low = _day_start(order.visit_date - timedelta(days=window_days))
        high = _day_start(order.visit_date + timedelta(days=window_days + 1))
        visit_messages = session.exec(
            select(func.count())
            .select_from(Telemetry)
            .where(col(Telemetry.device_id).in_([d.id for d in devices]))
            .where(col(Telemetry.ts) >= low, col(Telemetry.ts) < high)
        ).one()
    figures = _scored_figures(session, order, silence_timeout_s)
    networked = [d for d in devices if d.networked and d.protocol != "none"]
    return Evidence(
        production_devices=len(production),
        networked_devices_registered=len(networked),
        devices_seen=sum(1 for d in production if counts.get(d.id, 0) > 0),
        never_seen=tuple(d.external_id for d in networked if counts.get(d.id, 0) == 0),
        telemetry_messages=sum(counts.values()),
        visit_window_messages=int(visit_messages),
        networking_rate=figures.get("networking_rate"),
        coverage=figures.get("coverage"),
        run_share=figures.get("utilisation"),
    )


def _scored_figures(session: Session, order: DiagnosisOrder, silence_timeout_s: float) -> dict[str, float]:
    """The ok figures of the evidence snapshot the order's latest scoring used (nothing computed here)."""
    result = session.exec(
        select(Result).where(Result.order_id == order.id).order_by(col(Result.id).desc())
    ).first()
    if result is None:
        return {}
    snapshot = evidence_snapshot.of_result(
        session=session, result=result, silence_timeout_s=silence_timeout_s
    )
    return {
        name: float(figure.value)
        for name, figure in snapshot.figures.items()
        if figure.ok and figure.value is not None
    }


def diagnosis_records(
    *,
    session: Session,
    regions: set[str],
    window_days: int,
    silence_timeout_s: float,
    statuses: tuple[str, ...] = ("submitted", "accepted"),
) -> list[DiagnosisRecord]:
    """Delivered diagnoses in these regions with answers, the provider's written notes, score and evidence."""
    records = []
    for order, enterprise in _orders_in(session, regions):
        if order.status not in statuses or order.submitted_at is None or order.provider_id is None:
            continue
        result = session.exec(
            select(Result).where(Result.order_id == order.id).order_by(col(Result.id).desc())
        ).first()
        assessment = session.exec(select(Assessment).where(Assessment.order_id == order.id)).first()
        answers: list[Answer] = []
        if assessment is not None:
            answers = list(
                session.exec(
                    select(Answer)
                    .where(Answer.assessment_id == assessment.id)
                    .order_by(col(Answer.requirement_id))
                ).all()
            )
        assert order.id is not None
        assigned = china_date(order.assigned_at or order.created_at)
        submitted = china_date(order.submitted_at)
        assert assigned is not None and submitted is not None
        records.append(
            DiagnosisRecord(
                order_id=order.id,
                provider_id=order.provider_id,
                enterprise_id=order.enterprise_id,
                kind=order.kind,
                assigned_on=assigned,
                submitted_on=submitted,
                visit_on=order.visit_date,
                answers=tuple((a.requirement_id, a.rating) for a in answers if a.rating is not None),
                # The provider's own written findings are the report text the platform holds.
                report_text="".join(a.evidence_note or "" for a in answers),
                score=float(result.score) if result is not None else 0.0,
                evidence=evidence_for(
                    session=session, order=order, window_days=window_days, silence_timeout_s=silence_timeout_s
                ),
                scale=enterprise.scale,
                industry_type=enterprise.industry_type,
                tailored=_tailored(session, assessment),
            )
        )
    return records


def _tailored(session: Session, assessment: Assessment | None) -> tuple[tuple[str, str], ...]:
    """The sub-domains tailored out of the order's assessment, with their reason codes."""
    if assessment is None:
        return ()
    rows = session.exec(select(SubdomainTailoring).where(SubdomainTailoring.assessment_id == assessment.id))
    return tuple(sorted((r.subdomain, r.reason) for r in rows))
