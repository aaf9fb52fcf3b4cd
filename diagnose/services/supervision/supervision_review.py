"""Bureau audit service: detect and store anomaly flags, record reviews, performance tables, monthly summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func
from sqlmodel import Session, col, select

from diagnose.models import (
    AnomalyFlag,
    Bureau,
    BureauProvider,
    DiagnosisOrder,
    Enterprise,
    EnterpriseOutcome,
    FlagDecision,
    Provider,
    SupervisionSummary,
    User,
)
from diagnose.models.base import utcnow
from diagnose.schemas.errors import FieldError
from diagnose.services.audit import audit_log
from diagnose.services.supervision import supervision_records, versioned_cache
from scoring.china_time import china_today
from scoring.subsidy import Line, evaluate, load_catalogue
from scoring.supervision import (
    AnomalyModel,
    BatchUse,
    DiagnosisRecord,
    Flag,
    ProviderPerformance,
    ProviderYear,
    batch_use,
    clause7_line,
    detect,
    league_table,
    load_rules,
    provider_year,
)

_LEAGUE = versioned_cache.Figure("league", TypeAdapter(tuple[list[ProviderPerformance], list[BatchUse]]))


@dataclass(frozen=True)
class DetectionRun:
    """What one detection pass looked at and what it stored."""

    records: int
    flags: int
    new: int
    model_used: bool


@dataclass(frozen=True)
class PerformanceReport:
    """A bureau's league table for a period, with provider names, batch budgets and open flags per provider."""

    bureau_id: int
    start: date
    end: date
    rows: list[ProviderPerformance]
    providers: dict[int, Provider]
    batches: list[BatchUse]
    open_flags: dict[int, int]


def store_flags(*, session: Session, flags: list[Flag], bureau_of: dict[int, int], rules_version: str) -> int:
    """Insert new flags and refresh the evidence and cited rule of existing ones (a decision already taken is
    kept); returns how many are new."""
    existing = {
        (f.order_id, f.kind): f
        for f in session.exec(
            select(AnomalyFlag).where(col(AnomalyFlag.order_id).in_({x.order_id for x in flags}))
        ).all()
    }
    new = 0
    for flag in flags:
        row = existing.get((flag.order_id, flag.kind))
        if row is None:
            row = AnomalyFlag(
                order_id=flag.order_id,
                bureau_id=bureau_of[flag.order_id],
                provider_id=flag.provider_id,
                enterprise_id=flag.enterprise_id,
                kind=flag.kind,
                strength=flag.strength,
                evidence=flag.evidence,
                source=flag.source,
                rules_version=rules_version,
            )
            new += 1
        else:
            # Evidence, strength and the rule cited follow the latest detection; a decision stays as taken.
            row.strength, row.evidence, row.rules_version = flag.strength, flag.evidence, rules_version
            row.source = flag.source
        session.add(row)
    return new


def detect_for_bureau(
    *, session: Session, bureau_id: int, model: AnomalyModel | None, silence_timeout_s: float
) -> DetectionRun:
    """Run the rules (and the model, if trained) over the bureau's delivered diagnoses and store the flags."""
    rules = load_rules()
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    records = supervision_records.diagnosis_records(
        session=session,
        regions=regions,
        window_days=rules.visit_window_days,
        silence_timeout_s=silence_timeout_s,
    )
    flags = detect(records, rules, model)
    bureau_of = {
        o.id: o.bureau_id
        for o in session.exec(
            select(DiagnosisOrder).where(col(DiagnosisOrder.id).in_({r.order_id for r in records}))
        ).all()
        if o.id is not None
    }
    new = store_flags(session=session, flags=flags, bureau_of=bureau_of, rules_version=rules.version)
    if new:
        audit_log.record(
            session=session,
            actor="system:audit",
            action="flag.detect",
            entity="bureau",
            entity_id=bureau_id,
            detail={"records": len(records), "flags": len(flags), "new": new},
        )
    return DetectionRun(len(records), len(flags), new, model is not None)


def training_records(*, session: Session, silence_timeout_s: float) -> list[DiagnosisRecord]:
    """Accepted diagnoses platform-wide, without those a reviewer confirmed as anomalous."""
    rules = load_rules()
    codes = set(session.exec(select(Enterprise.region_code).distinct()).all())
    confirmed = set(
        session.exec(select(AnomalyFlag.order_id).where(AnomalyFlag.decision == FlagDecision.confirmed)).all()
    )
    records = supervision_records.diagnosis_records(
        session=session,
        regions=codes,
        window_days=rules.visit_window_days,
        silence_timeout_s=silence_timeout_s,
        statuses=("accepted",),
    )
    return [r for r in records if r.order_id not in confirmed]


def _flag_scope(session: Session, regions: set[str]) -> Any:
    return (
        select(AnomalyFlag, DiagnosisOrder, Enterprise)
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == AnomalyFlag.order_id)
        .join(Enterprise, col(Enterprise.id) == AnomalyFlag.enterprise_id)
        .where(col(Enterprise.region_code).in_(regions))
    )


def list_flags(
    *, session: Session, bureau_id: int, status: str = "open", provider_id: int | None = None
) -> list[tuple[AnomalyFlag, DiagnosisOrder, Enterprise]]:
    """Flags on orders in the bureau's regions: 'open' (undecided), 'decided' or 'all'; strongest first."""
    statement = _flag_scope(session, supervision_records.bureau_scope(session=session, bureau_id=bureau_id))
    if status == "open":
        statement = statement.where(col(AnomalyFlag.decision).is_(None))
    elif status == "decided":
        statement = statement.where(col(AnomalyFlag.decision).is_not(None))
    if provider_id is not None:
        statement = statement.where(AnomalyFlag.provider_id == provider_id)
    rows = session.exec(statement.order_by(col(AnomalyFlag.kind), col(AnomalyFlag.strength).desc())).all()
    return [(f, o, e) for f, o, e in rows]


def disputed_reports(*, session: Session, bureau_id: int) -> list[tuple[DiagnosisOrder, Enterprise]]:
    """Orders in the bureau's regions whose enterprise disputed the issued report, latest first."""
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    rows = session.exec(
        select(DiagnosisOrder, Enterprise)
        .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
        .where(col(Enterprise.region_code).in_(regions), DiagnosisOrder.report_verdict == "disputed")
        .order_by(col(DiagnosisOrder.report_verdict_at).desc())
    ).all()
    return [(o, e) for o, e in rows]


def get_flag(
    *, session: Session, bureau_id: int, flag_id: int
) -> tuple[AnomalyFlag, DiagnosisOrder, Enterprise] | None:
    """The flag if it lies in the bureau's regions, else None (the caller answers 404)."""
    statement = _flag_scope(session, supervision_records.bureau_scope(session=session, bureau_id=bureau_id))
    row = session.exec(statement.where(AnomalyFlag.id == flag_id)).first()
    return (row[0], row[1], row[2]) if row is not None else None


def review_flag(*, session: Session, flag: AnomalyFlag, actor: User, decision: str, note: str) -> AnomalyFlag:
    """Record a reviewer's decision on a flag, audit-logged with the previous decision (not committed)."""
    if decision not in {d.value for d in FlagDecision}:
        raise FieldError("decision", "choose_listed", expected=[d.value for d in FlagDecision])
    if not note.strip():
        raise FieldError("note", "reason_required")
    before = flag.decision
    flag.decision, flag.decision_note = decision, note.strip()[:2000]
    flag.decided_by, flag.decided_at = actor.id, utcnow()
    session.add(flag)
    audit_log.record(
        session=session,
        actor=actor,
        action="flag.review",
        entity="anomalyflag",
        entity_id=flag.id,
        detail={
            "order_id": flag.order_id,
            "kind": flag.kind,
            "from": before,
            "to": decision,
            "note": flag.decision_note,
        },
    )
    return flag


def performance(*, session: Session, bureau_id: int, start: date, end: date) -> PerformanceReport:
    """The bureau's provider league table for orders assigned in [start, end]."""
    bureau = session.get(Bureau, bureau_id)
    if bureau is None:
        raise LookupError(f"no bureau {bureau_id}")
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    caps = supervision_records.fee_caps(session=session, region_code=bureau.region_code)
    batch_rows = supervision_records.batch_records(session=session, bureau_id=bureau_id)
    # A city's table reads every order of the period (seconds at tens of thousands): once per data version.
    # What is read before the build (regions, caps, batches) must match too.
    inputs = (tuple(sorted(regions)), tuple(sorted(caps.items())), tuple(batch_rows))

    def build(own: Session) -> tuple[list[ProviderPerformance], list[BatchUse]]:
        orders = supervision_records.order_records(session=own, regions=regions, start=start, end=end)
        outcomes = supervision_records.outcome_records(
            session=own, enterprise_ids={o.enterprise_id for o in orders}
        )
        own_orders = [o for o in orders if start <= (o.assigned_on or start) <= end]
        return league_table(orders, outcomes, caps, start, end), batch_use(own_orders, batch_rows)

    rows, batches = versioned_cache.cached(
        ("league", bureau_id, start, end), build, session=session, figure=_LEAGUE, inputs=inputs
    )
    providers = {
        p.id: p
        for p in session.exec(
            select(Provider).where(col(Provider.id).in_({r.provider_id for r in rows}))
        ).all()
        if p.id is not None
    }
    return PerformanceReport(
        bureau_id, start, end, rows, providers, batches, open_flags(session=session, regions=regions)
    )


def open_flags(*, session: Session, regions: set[str]) -> dict[int, int]:
    """Undecided flags per provider on orders in these regions."""
    statement = (
        select(AnomalyFlag.provider_id, func.count(col(AnomalyFlag.id)))
        .join(Enterprise, col(Enterprise.id) == AnomalyFlag.enterprise_id)
        .where(
            col(Enterprise.region_code).in_(regions),
            col(AnomalyFlag.decision).is_(None),
            col(AnomalyFlag.provider_id).is_not(None),
        )
        .group_by(AnomalyFlag.provider_id)
    )
    return {provider_id: count for provider_id, count in session.exec(statement).all()}


def provider_in_scope(*, session: Session, bureau_id: int, provider_id: int) -> Provider | None:
    """The provider if it has orders in the bureau's regions, else None (the caller answers 404)."""
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    hit = session.exec(
        select(DiagnosisOrder.id)
        .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
        .where(DiagnosisOrder.provider_id == provider_id, col(Enterprise.region_code).in_(regions))
    ).first()
    return session.get(Provider, provider_id) if hit is not None else None


def _text(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def row_dict(row: ProviderPerformance, name: str) -> dict[str, Any]:
    """A league-table row as JSON-ready values (money in fen, rates as decimal text)."""
    return {
        "provider_id": row.provider_id,
        "provider": name,
        "assigned": row.assigned,
        "delivered": row.delivered,
        "completed": row.completed,
        "on_time": row.on_time,
        "on_time_rate": _text(row.on_time_rate),
        "returned": row.returned,
        "return_reasons": [list(x) for x in row.return_reasons],
        "avg_delivery_days": _text(row.avg_delivery_days),
        "ratings": row.ratings,
        "avg_rating": _text(row.avg_rating),
        "enterprises_diagnosed": row.enterprises_diagnosed,
        "enterprises_with_outcome": row.enterprises_with_outcome,
        "outcome_share": _text(row.outcome_share),
        "retrofits": row.retrofits,
        "recognitions": row.recognitions,
        "billed_fen": row.billed_fen,
        "committed_fen": row.committed_fen,
        "over_cap_orders": [c.order_id for c in row.over_cap],
    }


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month holding `month`."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def monthly_summary(*, session: Session, bureau_id: int, month: date) -> SupervisionSummary:
    """Generate (or regenerate) the bureau's summary for the month holding `month` (not committed)."""
    start, end = month_bounds(month)
    report = performance(session=session, bureau_id=bureau_id, start=start, end=end)
    figures = {
        "period": [start.isoformat(), end.isoformat()],
        "providers": [row_dict(r, report.providers[r.provider_id].name) for r in report.rows],
        "batches": [
            {
                "batch_id": b.batch_id,
                "name": b.name,
                "budget_fen": b.budget_fen,
                "committed_fen": b.committed_fen,
                "billed_fen": b.billed_fen,
                "over_budget": b.over_budget,
            }
            for b in report.batches
        ],
        "open_flags": {str(k): v for k, v in report.open_flags.items()},
    }
    key = start.strftime("%Y-%m")
    summary = session.exec(
        select(SupervisionSummary).where(
            SupervisionSummary.bureau_id == bureau_id, SupervisionSummary.month == key
        )
    ).first() or SupervisionSummary(bureau_id=bureau_id, month=key, figures={})
    summary.figures, summary.generated_at = figures, utcnow()
    session.add(summary)
    return summary


def list_summaries(*, session: Session, bureau_id: int) -> list[SupervisionSummary]:
    """The bureau's monthly summaries, newest first."""
    statement = select(SupervisionSummary).where(SupervisionSummary.bureau_id == bureau_id)
    return list(session.exec(statement.order_by(col(SupervisionSummary.month).desc())).all())


CHANGZHOU = "320400"  # 常工信综合〔2021〕62号 is a Changzhou city policy: 本地 = the city and its districts


def provider_subsidies(
    *, session: Session, year: int, unlisted: frozenset[int] = frozenset(), city: str = CHANGZHOU
) -> list[tuple[Provider, ProviderYear, Line]]:
    """Each provider's clause 7 verdict for the year from the platform's orders (000 clause 7).

    The platform holds no list of 本市智能制造系统解决方案供应商, so every provider is taken as listed
    except the ids in `unlisted`; the line's explanation says which conditions held.
    """
    local = supervision_records.bureau_scope_of_region(session=session, code=city)
    orders = supervision_records.order_records(session=session, regions=local)
    catalogue = load_catalogue()
    out = []
    for provider in session.exec(select(Provider).order_by(col(Provider.id))).all():
        assert provider.id is not None
        figures = provider_year(orders, provider.id, year, lambda _enterprise_id: True)
        if figures.orders == 0:
            continue
        line = clause7_line(figures, provider.region_code, catalogue, listed=provider.id not in unlisted)
        out.append((provider, figures, line))
    return out


@dataclass(frozen=True)
class ProviderSubsidyRow:
    """One provider's clause 7 year as the bureau's page and export show it, the verdict in Chinese."""

    provider: Provider
    figures: ProviderYear
    line: Line
    explanation_zh: str
    reason_zh: str  # why nothing is paid ('' when paid)
    citation_zh: str
    listed: bool


@dataclass(frozen=True)
class ProviderSubsidyPage:
    """A bureau's provider-subsidy view: whether the city policy covers its region, and its providers' rows."""

    covered: bool
    city_name: str
    rows: list[ProviderSubsidyRow]


def provider_subsidy_page(
    *,
    session: Session,
    bureau_id: int,
    year: int,
    unlisted: frozenset[int] = frozenset(),
    city: str = CHANGZHOU,
) -> ProviderSubsidyPage:
    """The providers of the bureau's pool with their clause 7 verdict for the year (figures city-wide, as the
    clause counts them). A bureau outside the city sees no rows: the policy does not cover its region."""
    from diagnose.wording.subsidy_why_zh import line_reason_zh
    from diagnose.wording.subsidy_zh import citation_zh, explain_zh
    from scoring.subsidy import parse_plan
    from scoring.supervision import subsidy_plan

    bureau = session.get(Bureau, bureau_id)
    catalogue = load_catalogue()
    region = catalogue.regions.get(city)
    city_name = region.name_zh if region else city
    local = supervision_records.bureau_scope_of_region(session=session, code=city)
    if bureau is None or bureau.region_code not in local:
        return ProviderSubsidyPage(False, city_name, [])
    pool_ids = set(
        session.exec(select(BureauProvider.provider_id).where(BureauProvider.bureau_id == bureau_id)).all()
    )
    rows = []
    for provider, figures, line in provider_subsidies(
        session=session, year=year, unlisted=unlisted, city=city
    ):
        if provider.id not in pool_ids:
            continue
        listed = provider.id not in unlisted
        plan = parse_plan(subsidy_plan(figures, provider.region_code, listed=listed), catalogue)
        result = evaluate(plan, catalogue)
        rows.append(
            ProviderSubsidyRow(
                provider=provider,
                figures=figures,
                line=line,
                explanation_zh=explain_zh(line, result, plan, catalogue),
                reason_zh=line_reason_zh(line, result, plan, catalogue),
                citation_zh=citation_zh(catalogue.clause(line.clause_id)),
                listed=listed,
            )
        )
    return ProviderSubsidyPage(True, city_name, rows)


OUTCOME_KINDS = ("retrofit", "recognition")


def outcome_enterprises(*, session: Session, bureau_id: int) -> list[Enterprise]:
    """Enterprises in the bureau's regions, by name: those it may record outcomes for."""
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    statement = (
        select(Enterprise).where(col(Enterprise.region_code).in_(regions)).order_by(col(Enterprise.name))
    )
    return list(session.exec(statement).all())


def list_outcomes(*, session: Session, bureau_id: int) -> list[tuple[EnterpriseOutcome, Enterprise]]:
    """Outcomes recorded for enterprises in the bureau's regions, newest first."""
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    rows = session.exec(
        select(EnterpriseOutcome, Enterprise)
        .join(Enterprise, col(Enterprise.id) == EnterpriseOutcome.enterprise_id)
        .where(col(Enterprise.region_code).in_(regions))
        .order_by(col(EnterpriseOutcome.on_date).desc(), col(EnterpriseOutcome.id).desc())
    ).all()
    return [(o, e) for o, e in rows]


def record_outcome(
    *,
    session: Session,
    actor: User,
    bureau_id: int,
    enterprise_id: int,
    kind: str,
    on_date: str,
    source: str,
    detail: str = "",
    today: date | None = None,
) -> EnterpriseOutcome:
    """Record that an enterprise went on to a retrofit project or a recognition (audit-logged, not committed).

    Raises LookupError for an enterprise outside the bureau's regions (the caller answers 404) and
    FieldError (a ValueError) naming the field for bad input.
    """
    if enterprise_id <= 0:
        raise FieldError("enterprise_id", "choose_enterprise")
    enterprise = session.get(Enterprise, enterprise_id)
    regions = supervision_records.bureau_scope(session=session, bureau_id=bureau_id)
    if enterprise is None or enterprise.region_code not in regions:
        raise LookupError(f"no enterprise {enterprise_id} in this bureau's regions")
    if kind not in OUTCOME_KINDS:
        raise FieldError("kind", "choose_listed", expected=list(OUTCOME_KINDS))
    try:
        when = date.fromisoformat(on_date.strip())
    except ValueError as exc:
        raise FieldError("on_date", "not_a_date") from exc
    if when > (today or china_today(utcnow())):
        raise FieldError("on_date", "not_in_future")
    source = source.strip()
    if not source or len(source) > 255:
        raise FieldError("source", "publication_required")
    if len(detail) > 2000:
        raise FieldError("detail", "max_chars", max_length=2000)
    outcome = EnterpriseOutcome(
        enterprise_id=enterprise_id, kind=kind, on_date=when, source=source, detail=detail.strip() or None
    )
    session.add(outcome)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="outcome.record",
        entity="enterpriseoutcome",
        entity_id=outcome.id,
        detail={"enterprise_id": enterprise_id, "kind": kind, "on_date": when.isoformat(), "source": source},
    )
    return outcome
