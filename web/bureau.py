"""The bureau's pages: procurement batches with budgets, new orders within the fee caps, progress."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select
from werkzeug.wrappers import Response

from diagnose.models import Bureau, Provider, Role
from diagnose.models.base import utcnow
from diagnose.schemas.orders import BatchForm, OrderForm, PoolChange
from diagnose.schemas.sme import SmePilotForm
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_view
from diagnose.services.diagnosis import orders, pool, sme, sme_index
from diagnose.services.supervision import overview
from scoring.china_time import china_today
from scoring.sme.compare import TARGET_LEVEL
from web.auth import role_required
from web.db import get_session
from web.forms import parse_form, refuse, typed
from web.messages import not_saved
from web.scope import get_enterprise, list_args

bp = Blueprint("bureau", __name__, url_prefix="/bureau")
# After a change, the dashboard shows the figures built before it (at most this old) while the jobs process
# builds the new ones (every 10 s), rather than building them in the request (seconds at a city's scale).
FIGURES_STALE_FOR = timedelta(seconds=60)


@bp.get("/dashboard")
@role_required(Role.bureau)
def dashboard() -> str:
    """Progress: orders by status, the charts of the overview, and the batches' budgets."""
    db = get_session()
    figures = overview.dashboard_figures(
        session=db, bureau_id=g.user.bureau_id, today=china_today(utcnow()), stale_for=FIGURES_STALE_FOR
    )
    league = figures.league
    charts = {
        "levels": figures.levels,
        "status": figures.status,
        "spend": figures.spend,
        "league": [
            {
                "name": league.providers[r.provider_id].name,
                "assigned": r.assigned,
                "completed": r.completed,
                "returned": r.returned,
                "rating": float(r.avg_rating) if r.avg_rating is not None else None,
            }
            for r in league.rows
        ],
        "labels": {
            "stages": {k: str(v) for k, v in STAGE_LABELS.items()},
            "level": _("Level %(n)s", n="{n}"),
            "budget": _("Budget"),
            "committed": _("Committed"),
            "billed": _("Billed"),
            "assigned": _("Assigned"),
            "completed": _("Accepted"),
            "returned": _("Returned"),
            "yuan": _("yuan"),
        },
    }
    return render_template(
        "bureau/dashboard.html",
        bureau=db.get(Bureau, g.user.bureau_id),
        counts=figures.counts,
        batches=orders.list_batches(session=db, bureau_id=g.user.bureau_id),
        charts=charts,
        figures_as_of=figures.as_of,
    )


STAGE_LABELS = {
    "created": _l("Created"),
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "cancelled": _l("Cancelled"),
}
POOL_STATUS_LABELS = {"active": _l("In the pool"), "suspended": _l("Suspended"), "removed": _l("Removed")}


def _year_arg() -> int:
    text = request.values.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else china_today(utcnow()).year


@bp.route("/pool", methods=["GET", "POST"])
@role_required(Role.bureau)
def provider_pool() -> str | Response:
    """The bureau's provider pool for a year: add, suspend or remove a provider, each with a reason."""
    db = get_session()
    year = _year_arg()
    status = 200
    if request.method == "POST":
        try:
            change = parse_form(PoolChange)
            pool.change_pool(session=db, actor=g.user, **change.model_dump())
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            status = 422
        else:
            db.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("bureau.provider_pool", year=change.year))
    return render_template(
        "bureau/pool.html",
        year=year,
        rows=pool.pool_rows(session=db, bureau_id=g.user.bureau_id, year=year),
        providers=db.exec(select(Provider).order_by(Provider.name)).all(),
        status_labels=POOL_STATUS_LABELS,
        form=typed(),
    ), status  # type: ignore[return-value]


@bp.get("/audit-log")
@role_required(Role.bureau, Role.admin)
def audit_log() -> str:
    """The audit log, scoped to the bureau's regions (an administrator sees all), filterable and paged."""
    try:
        start = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        end = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        start = end = None
    page_text = request.args.get("page", "1")
    page = audit_view.search(
        session=get_session(),
        user=g.user,
        action=request.args.get("action", "")[:64],
        actor=request.args.get("actor", "")[:64],
        start=start,
        end=end,
        page=int(page_text) if page_text.isdigit() and len(page_text) < 7 else 1,
    )
    return render_template(
        "bureau/audit_log.html",
        page=page,
        start=start,
        end=end,
        names=audit_view.entity_names(session=get_session(), entries=page.items),
        people=audit_view.actor_names(session=get_session(), entries=page.items),
        groups=AUDIT_GROUPS,
    )


AUDIT_GROUPS = {
    "order.": _l("Orders"),
    "pool.": _l("Provider pool"),
    "batch.": _l("Procurement batches"),
    "device.": _l("Devices"),
    "user.": _l("Users"),
    "flag.": _l("Anomaly flags"),
    "outcome.": _l("Outcomes"),
}


@bp.route("/batches", methods=["GET", "POST"])
@role_required(Role.bureau)
def batches() -> str | Response:
    """List the bureau's batches; on POST create one."""
    db = get_session()
    if request.method == "POST":
        try:
            batch = parse_form(BatchForm).create()
            orders.create_batch(session=db, actor=g.user, **batch.model_dump())
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            return render_template(
                "bureau/batches.html",
                batches=orders.list_batches(session=db, bureau_id=g.user.bureau_id),
                year=china_today(utcnow()).year,
                form=typed(),
            ), 422  # type: ignore[return-value]
        db.commit()
        flash(_("Batch created."), "ok")
        return redirect(url_for("bureau.batches"))
    return render_template(
        "bureau/batches.html",
        batches=orders.list_batches(session=db, bureau_id=g.user.bureau_id),
        year=china_today(utcnow()).year,
        form={},
    )


@bp.route("/orders/new", methods=["GET", "POST"])
@role_required(Role.bureau)
def new_order() -> str | Response:
    """The new-order form; on POST create the order (fee cap and batch budget checked by the service).

    A refused order shows the form again with everything as typed (batch, enterprise, type, fee, due date).
    """
    db = get_session()
    status = 200
    enterprises = orders.enterprises_in_scope(session=db, user=g.user)
    if request.method == "POST":
        try:
            form = parse_form(OrderForm).create()
            order = orders.create_order(session=db, actor=g.user, **form.model_dump())
        except ValidationError as exc:
            db.rollback()
            flash(not_saved(exc), "error")
            status = 422
        else:
            db.commit()
            flash(_("Order %(number)s created.", number=order.number), "ok")
            return redirect(url_for("orders.show_order", order_id=order.id))
    bureau = db.get(Bureau, g.user.bureau_id)
    today = china_today(utcnow())
    caps = {
        k: orders.fee_cap(session=db, region_code=bureau.region_code, kind=k, on=today) for k in orders.KINDS
    }  # type: ignore[union-attr]
    return render_template(
        "bureau/new_order.html",
        enterprises=enterprises,
        batches=[
            (b, orders.batch_budget(session=db, batch=b))
            for b, _used in orders.list_batches(session=db, bureau_id=g.user.bureau_id)
        ],
        caps=caps,
        today=today,
        form=typed(),
    ), status  # type: ignore[return-value]


@bp.get("/sme-levels")
@role_required(Role.bureau)
def sme_levels() -> str:
    """The SME digital levels of the enterprises in the bureau's regions (their newest submitted or accepted
    rating), and how many of the pilot enterprises reached 二级 or above."""
    db = get_session()
    everyone, pilots = sme.distribution(
        session=db, region_codes=orders.bureau_regions(session=db, user=g.user)
    )
    return render_template(
        "bureau/sme_levels.html",
        bureau=db.get(Bureau, g.user.bureau_id),
        everyone=everyone,
        pilots=pilots,
        target=TARGET_LEVEL,
        level_names=sme_index.in_force(db).level_rule.names_zh(),
    )


@bp.route("/sme-pilots", methods=["GET", "POST"])
@role_required(Role.bureau)
def sme_pilots() -> str | Response:
    """The enterprises of the bureau's regions and which are in the SME digital-transformation pilot: put one
    in or take it out, with the reason (audited). The pilot enterprises are those counted on the levels page."""
    db = get_session()
    status = 200
    if request.method == "POST":
        try:
            form = parse_form(SmePilotForm)
            enterprise = get_enterprise(form.enterprise_id)
            sme.set_pilot(
                session=db, actor=g.user, enterprise=enterprise, pilot=form.pilot, reason=form.reason
            )
        except ValidationError as exc:
            refuse(exc)
            status = 422
        else:
            db.commit()
            flash(_("Saved."), "ok")
            return redirect(request.full_path if request.query_string else url_for("bureau.sme_pilots"))
    args = list_args()
    pilots_only = request.args.get("pilots") == "1"
    return render_template(
        "bureau/sme_pilots.html",
        bureau=db.get(Bureau, g.user.bureau_id),
        page=sme.pilot_page(
            session=db,
            region_codes=orders.bureau_regions(session=db, user=g.user),
            query=args["query"],
            pilots_only=pilots_only,
            page=args["page"],
        ),
        args=args,
        pilots_only=pilots_only,
        form=typed(),
    ), status  # type: ignore[return-value]
