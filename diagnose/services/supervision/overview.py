"""The bureau's overview in figures, for the dashboard charts: levels by district and industry, orders by
status over time, spend against budget by batch. (The provider league comes from supervision_review.)"""

from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func
from sqlmodel import Session, col, select

from diagnose.models import DiagnosisOrder, Enterprise, OrderStatus, Region, Result
from diagnose.services.diagnosis import orders
from diagnose.services.supervision import supervision_records, supervision_review, versioned_cache
from scoring.china_time import CHINA_TZ

_FIGURES = versioned_cache.Figure("status_over_time", TypeAdapter(dict[str, Any]))
_ROWS = versioned_cache.Figure("spend_by_batch", TypeAdapter(list[dict[str, Any]]))
_COUNTS = versioned_cache.Figure("status_counts", TypeAdapter(dict[str, int]))
_LEVELS = versioned_cache.Figure("level_distribution", TypeAdapter(dict[str, dict[str, Any]]))
STAGES = ("created", "in_progress", "submitted", "accepted", "cancelled")
# GB/T 4754-2017 门类 C (manufacturing): division code → name, for the chart's axis.
DIVISIONS = {
    "13": "农副食品加工业",
    "14": "食品制造业",
    "15": "酒、饮料和精制茶制造业",
    "16": "烟草制品业",
    "17": "纺织业",
    "18": "纺织服装、服饰业",
    "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业",
    "21": "家具制造业",
    "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业",
    "24": "文教、工美、体育和娱乐用品制造业",
    "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业",
    "27": "医药制造业",
    "28": "化学纤维制造业",
    "29": "橡胶和塑料制品业",
    "30": "非金属矿物制品业",
    "31": "黑色金属冶炼和压延加工业",
    "32": "有色金属冶炼和压延加工业",
    "33": "金属制品业",
    "34": "通用设备制造业",
    "35": "专用设备制造业",
    "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业",
    "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业",
    "40": "仪器仪表制造业",
    "41": "其他制造业",
    "42": "废弃资源综合利用业",
    "43": "金属制品、机械和设备修理业",
}


def division_name(industry_code: str) -> str:
    """'C17 纺织业' for an enterprise's GB/T 4754 class code ('1711' or 'C1711')."""
    digits = "".join(c for c in industry_code if c.isdigit())[:2]
    return f"C{digits} {DIVISIONS[digits]}" if digits in DIVISIONS else (industry_code or "?")


def _latest_levels(session: Session, regions: set[str]) -> list[tuple[Enterprise, int]]:
    """Each enterprise of these regions with the level of its latest scored order."""
    latest = (
        select(func.max(Result.id))
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == Result.order_id)
        .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
        .where(col(Enterprise.region_code).in_(regions))
        .group_by(DiagnosisOrder.enterprise_id)
    )
    rows = session.exec(
        select(Enterprise, Result.level)
        .join(DiagnosisOrder, col(DiagnosisOrder.enterprise_id) == Enterprise.id)
        .join(Result, col(Result.order_id) == DiagnosisOrder.id)
        .where(col(Result.id).in_(latest))
    ).all()
    return [(e, int(level)) for e, level in rows]


def _by(groups: dict[str, Counter[int]]) -> dict[str, Any]:
    levels = sorted({lvl for c in groups.values() for lvl in c}) or [1, 2, 3, 4, 5]
    names = sorted(groups)
    return {
        "categories": names,
        "levels": levels,
        "series": [{"level": lvl, "counts": [groups[n].get(lvl, 0) for n in names]} for lvl in levels],
    }


def level_distribution(*, session: Session, regions: set[str]) -> dict[str, dict[str, Any]]:
    """Enterprises by maturity level, per district (region name) and per industry (GB/T 4754 division):
    computed once per version of the data it reads, and shared by every process."""
    return versioned_cache.cached(
        ("level_distribution", tuple(sorted(regions))),
        lambda own: _level_distribution(own, regions),
        session=session,
        figure=_LEVELS,
    )


def _level_distribution(session: Session, regions: set[str]) -> dict[str, dict[str, Any]]:
    names = dict(session.exec(select(Region.code, Region.name).where(col(Region.code).in_(regions))).all())
    by_district: dict[str, Counter[int]] = defaultdict(Counter)
    by_industry: dict[str, Counter[int]] = defaultdict(Counter)
    for enterprise, level in _latest_levels(session, regions):
        by_district[names.get(enterprise.region_code, enterprise.region_code)][level] += 1
        by_industry[division_name(enterprise.industry_code or "")][level] += 1
    return {"district": _by(by_district), "industry": _by(by_industry)}


def _stage(row: Any, moment: datetime) -> str | None:
    created, assigned, submitted, accepted, status, updated = row
    if created > moment:
        return None
    if status == OrderStatus.cancelled and updated <= moment:
        return "cancelled"
    if accepted is not None and accepted <= moment:
        return "accepted"
    if submitted is not None and submitted <= moment:
        return "submitted"
    if assigned is not None and assigned <= moment:
        return "in_progress"
    return "created"


def status_over_time(*, session: Session, regions: set[str], today: date, months: int = 12) -> dict[str, Any]:
    """How many of the bureau's orders stood at each stage at the end of each of the last months (every order
    of the regions is read: computed once per version of the data it reads, and shared by every process)."""
    return versioned_cache.cached(
        ("status_over_time", tuple(sorted(regions)), months),
        lambda own: _status_over_time(own, regions, today, months),
        session=session,
        figure=_FIGURES,
        inputs=today,  # tomorrow's replaces today's
    )


def _status_over_time(session: Session, regions: set[str], today: date, months: int) -> dict[str, Any]:
    rows = session.exec(
        select(
            DiagnosisOrder.created_at,
            DiagnosisOrder.assigned_at,
            DiagnosisOrder.submitted_at,
            DiagnosisOrder.accepted_at,
            DiagnosisOrder.status,
            DiagnosisOrder.updated_at,
        )
        .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
        .where(col(Enterprise.region_code).in_(regions))
    ).all()
    ends: list[tuple[str, datetime]] = []
    year, month = today.year, today.month
    for _ in range(months):
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = datetime.combine(date(next_year, next_month, 1), time(), CHINA_TZ)
        ends.append((f"{year}-{month:02d}", end))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    ends.reverse()
    counts = {stage: [0] * len(ends) for stage in STAGES}
    for row in rows:
        for index, (_label, end) in enumerate(ends):
            stage = _stage(row, end)
            if stage:
                counts[stage][index] += 1
    return {
        "months": [label for label, _end in ends],
        "series": [{"stage": s, "counts": counts[s]} for s in STAGES],
    }


def spend_by_batch(*, session: Session, bureau_id: int) -> list[dict[str, Any]]:
    """Each batch's budget, committed (the one batch_budget computation) and billed (accepted) fees."""
    return versioned_cache.cached(
        ("spend_by_batch", bureau_id),
        lambda own: _spend_by_batch(own, bureau_id),
        session=session,
        figure=_ROWS,
    )


def _spend_by_batch(session: Session, bureau_id: int) -> list[dict[str, Any]]:
    out = []
    for batch, _used in orders.list_batches(session=session, bureau_id=bureau_id):
        budget = orders.batch_budget(session=session, batch=batch)
        billed = session.exec(
            select(func.coalesce(func.sum(DiagnosisOrder.fee_fen), 0)).where(
                DiagnosisOrder.batch_id == batch.id, DiagnosisOrder.status == OrderStatus.accepted
            )
        ).one()
        out.append(
            {
                "name": batch.name,
                "budget_fen": budget.budget_fen,
                "committed_fen": budget.committed_fen,
                "remaining_fen": budget.remaining_fen,
                "billed_fen": int(billed),
            }
        )
    return list(reversed(out))


def status_counts(*, session: Session, regions: set[str]) -> dict[str, int]:
    """The bureau's orders by status (every status, zeros included), in one grouped count."""

    def build(own: Session) -> dict[str, int]:
        rows = own.exec(
            select(DiagnosisOrder.status, func.count())
            .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
            .where(col(Enterprise.region_code).in_(regions))
            .group_by(DiagnosisOrder.status)
        ).all()
        found = {str(status): int(n) for status, n in rows}
        return {s.value: found.get(s.value, 0) for s in OrderStatus}

    return versioned_cache.cached(
        ("status_counts", tuple(sorted(regions))), build, session=session, figure=_COUNTS
    )


def bureau_regions(*, session: Session, bureau_id: int) -> set[str]:
    """The regions a bureau governs."""
    return supervision_records.bureau_scope(session=session, bureau_id=bureau_id)


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the bureau's dashboard draws, for the year of `today`."""

    counts: dict[str, int]
    levels: dict[str, dict[str, Any]]
    status: dict[str, Any]
    spend: list[dict[str, Any]]
    league: supervision_review.PerformanceReport
    as_of: datetime | None = None  # when the oldest figure shown was built, if one is from before a change


def dashboard_figures(
    *, session: Session, bureau_id: int, today: date, stale_for: timedelta | None = None
) -> DashboardFigures:
    """The bureau's dashboard figures: the page draws them and the jobs process builds them ahead of the page
    views (`refresh_figures`), one list for both so that no figure is left for a page view to build.

    With `stale_for`, a figure whose data changed since the jobs process last built it is shown as it was
    built (at most that long ago, noted in `as_of`) rather than built in the caller's request."""
    regions = bureau_regions(session=session, bureau_id=bureau_id)
    allowed = versioned_cache.stale_allowed(stale_for) if stale_for else nullcontext(None)
    with allowed as window:
        figures = DashboardFigures(
            counts=status_counts(session=session, regions=regions),
            levels=level_distribution(session=session, regions=regions),
            status=status_over_time(session=session, regions=regions, today=today),
            spend=spend_by_batch(session=session, bureau_id=bureau_id),
            league=supervision_review.performance(
                session=session,
                bureau_id=bureau_id,
                start=date(today.year, 1, 1),
                end=date(today.year, 12, 31),
            ),
        )
    return replace(figures, as_of=window.as_of if window is not None else None)
