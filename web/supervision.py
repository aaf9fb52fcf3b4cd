"""Bureau supervision pages: provider league table with drill-down, anomaly flags with evidence and review, exports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Role
from diagnose.models.base import utcnow
from diagnose.schemas.supervision import FlagReview, OutcomeCreate
from diagnose.services.diagnosis import orders
from diagnose.services.supervision import supervision_export, supervision_flag_view, supervision_review
from scoring.china_time import china_today
from web.auth import role_required
from web.db import get_session
from web.forms import parse_form, typed
from web.messages import not_saved

bp = Blueprint("supervision", __name__, url_prefix="/bureau/supervision")
STATUSES = ("open", "decided", "all")


def _period() -> tuple[date, date]:
    """The ?from=&to= period, defaulting to the current calendar year; bad dates fall back too."""
    today = china_today(utcnow())
    try:
        start = (
            date.fromisoformat(request.args.get("from", ""))
            if request.args.get("from")
            else date(today.year, 1, 1)
        )
        end = (
            date.fromisoformat(request.args.get("to", ""))
            if request.args.get("to")
            else date(today.year, 12, 31)
        )
    except ValueError:
        start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    return start, end


@bp.get("/")
@role_required(Role.bureau)
def show_league() -> str:
    """The league table of providers serving the bureau's regions, with budgets and open flags."""
    start, end = _period()
    db = get_session()
    report = supervision_review.performance(session=db, bureau_id=g.user.bureau_id, start=start, end=end)
    budgets = {
        b.id: orders.batch_budget(session=db, batch=b)
        for b, _used in orders.list_batches(session=db, bureau_id=g.user.bureau_id)
    }
    return render_template("supervision/league.html", report=report, start=start, end=end, budgets=budgets)


@bp.get("/providers/<int:provider_id>")
@role_required(Role.bureau)
def show_provider(provider_id: int) -> str:
    """One provider's figures and the flags on its orders in the bureau's regions (404 outside them)."""
    db = get_session()
    provider = supervision_review.provider_in_scope(
        session=db, bureau_id=g.user.bureau_id, provider_id=provider_id
    )
    if provider is None:
        abort(404)
    start, end = _period()
    report = supervision_review.performance(session=db, bureau_id=g.user.bureau_id, start=start, end=end)
    row = next((r for r in report.rows if r.provider_id == provider_id), None)
    flags = supervision_review.list_flags(
        session=db, bureau_id=g.user.bureau_id, status="all", provider_id=provider_id
    )
    return render_template(
        "supervision/provider.html", provider=provider, row=row, flags=flags, start=start, end=end
    )


@bp.get("/flags")
@role_required(Role.bureau)
def list_flags() -> str:
    """Anomaly flags on orders in the bureau's regions: open, decided or all; and the reports their
    enterprises dispute."""
    status = request.args.get("status", "open")
    status = status if status in STATUSES else "open"
    db = get_session()
    flags = supervision_review.list_flags(session=db, bureau_id=g.user.bureau_id, status=status)
    disputed = supervision_review.disputed_reports(session=db, bureau_id=g.user.bureau_id)
    return render_template(
        "supervision/flags.html", flags=flags, status=status, statuses=STATUSES, disputed=disputed
    )


def _load_flag(flag_id: int):  # type: ignore[no-untyped-def]
    found = supervision_review.get_flag(session=get_session(), bureau_id=g.user.bureau_id, flag_id=flag_id)
    if found is None:
        abort(404)
    return found


@bp.get("/flags/<int:flag_id>")
@role_required(Role.bureau)
def show_flag(flag_id: int) -> str:
    """A flag's evidence and the review form."""
    flag, order, enterprise = _load_flag(flag_id)
    return _flag_page(flag, order, enterprise, {})


def _flag_page(flag, order, enterprise, form) -> str:  # type: ignore[no-untyped-def]
    view = supervision_flag_view.describe(session=get_session(), bureau_id=g.user.bureau_id, flag=flag)
    return render_template(
        "supervision/flag.html", flag=flag, view=view, order=order, enterprise=enterprise, form=form
    )


@bp.post("/flags/<int:flag_id>/review")
@role_required(Role.bureau)
def review_flag(flag_id: int) -> Response | tuple[str, int]:
    """Record the reviewer's decision (audit-logged); a flag never blocks the order by itself."""
    flag, order, enterprise = _load_flag(flag_id)
    db = get_session()
    try:
        review = parse_form(FlagReview)
        supervision_review.review_flag(session=db, flag=flag, actor=g.user, **review.model_dump())
    except ValueError as exc:
        db.rollback()
        flash(not_saved(exc), "error")
        return _flag_page(flag, order, enterprise, typed()), 400
    db.commit()
    flash(_("Decision recorded."), "info")
    return redirect(url_for("supervision.show_flag", flag_id=flag_id))


def _outcomes_page(status: int = 200) -> tuple[str, int]:
    db = get_session()
    return (
        render_template(
            "supervision/outcomes.html",
            outcomes=supervision_review.list_outcomes(session=db, bureau_id=g.user.bureau_id),
            enterprises=supervision_review.outcome_enterprises(session=db, bureau_id=g.user.bureau_id),
            kinds=supervision_review.OUTCOME_KINDS,
            today=china_today(utcnow()).isoformat(),
            form=typed(),
        ),
        status,
    )


@bp.get("/outcomes")
@role_required(Role.bureau)
def list_outcomes() -> tuple[str, int]:
    """Retrofits and recognitions of diagnosed enterprises: what the performance figures count."""
    return _outcomes_page()


@bp.post("/outcomes")
@role_required(Role.bureau)
def record_outcome() -> Response | tuple[str, int]:
    """Record one outcome for an enterprise in the bureau's regions (404 outside them)."""
    db = get_session()
    try:
        outcome = parse_form(OutcomeCreate)
        supervision_review.record_outcome(
            session=db,
            actor=g.user,
            bureau_id=g.user.bureau_id,
            **outcome.model_dump(exclude={"on_date"}),
            on_date=outcome.on_date.isoformat(),
        )
    except LookupError:
        db.rollback()
        abort(404)
    except ValueError as exc:  # FieldError: the form's or the service's
        db.rollback()
        flash(not_saved(exc), "error")
        return _outcomes_page(400)
    db.commit()
    flash(_("Saved."), "ok")
    return redirect(url_for("supervision.list_outcomes"))


@bp.get("/export.<fmt>")
@role_required(Role.bureau)
def export_league(fmt: str) -> Response:
    """The league table as CSV (UTF-8 with BOM, for Excel) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    start, end = _period()
    report = supervision_review.performance(
        session=get_session(), bureau_id=g.user.bureau_id, start=start, end=end
    )
    rows = supervision_export.league_rows(report)
    name = f"provider-performance-{start.isoformat()}-{end.isoformat()}.{fmt}"
    if fmt == "csv":
        body = supervision_export.to_csv_bytes(supervision_export.HEADERS, rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = supervision_export.to_xlsx_bytes(supervision_export.HEADERS, rows, "服务商绩效")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _subsidy_args() -> tuple[int, frozenset[int]]:
    """?year= (default this year) and ?unlisted=ID… (providers not on the city's solution-provider list)."""
    this_year = china_today(utcnow()).year
    try:
        year = int(request.args.get("year", this_year))
    except ValueError:
        year = this_year
    year = year if 2000 <= year <= this_year + 1 else this_year
    unlisted = frozenset(int(v) for v in request.args.getlist("unlisted") if v.isdigit())
    return year, unlisted


@bp.get("/provider-subsidy")
@role_required(Role.bureau)
def provider_subsidy() -> str:
    """Each provider of the bureau's pool under Changzhou 常工信综合〔2021〕62号 clause 7 for a year, from the
    platform's own orders: figures, amount, and why nothing is paid."""
    year, unlisted = _subsidy_args()
    page = supervision_review.provider_subsidy_page(
        session=get_session(), bureau_id=g.user.bureau_id, year=year, unlisted=unlisted
    )
    return render_template("supervision/provider_subsidy.html", page=page, year=year, unlisted=unlisted)


@bp.get("/provider-subsidy.<fmt>")
@role_required(Role.bureau)
def export_provider_subsidy(fmt: str) -> Response:
    """The provider-subsidy table as CSV (UTF-8 with BOM) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    year, unlisted = _subsidy_args()
    page = supervision_review.provider_subsidy_page(
        session=get_session(), bureau_id=g.user.bureau_id, year=year, unlisted=unlisted
    )
    rows = supervision_export.provider_subsidy_rows(page)
    headers = supervision_export.PROVIDER_SUBSIDY_HEADERS
    name = f"provider-subsidy-{year}.{fmt}"
    if fmt == "csv":
        body = supervision_export.to_csv_bytes(headers, rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = supervision_export.to_xlsx_bytes(headers, rows, "服务商补贴")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
