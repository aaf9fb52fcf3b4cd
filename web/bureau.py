"""The bureau's pages: procurement batches with budgets, new orders within the fee caps, progress."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Bureau
from diagnose.services import orders
from diagnose.services.orgs import ValidationError
from web.auth import role_required
from web.db import get_session

bp = Blueprint("bureau", __name__, url_prefix="/bureau")


def yuan_to_fen(text: str, field: str) -> int:
    """Parse a yuan amount typed by a person ('150000', '150,000.50') into integer fen, exactly."""
    try:
        amount = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValidationError(field, "not an amount") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(field, "at most two decimals")
    return int(amount * 100)


@bp.get("/dashboard")
@role_required("bureau")
def dashboard() -> str:
    """Progress: orders by status and the batches' budgets."""
    db = get_session()
    counts = {
        s: orders.list_orders(session=db, user=g.user, status=s, per_page=1).total for s in orders.STATUSES
    }
    return render_template(
        "bureau/dashboard.html",
        bureau=db.get(Bureau, g.user.bureau_id),
        counts=counts,
        batches=orders.list_batches(session=db, bureau_id=g.user.bureau_id),
    )


@bp.route("/batches", methods=["GET", "POST"])
@role_required("bureau")
def batches() -> str | Response:
    """List the bureau's batches; on POST create one."""
    db = get_session()
    if request.method == "POST":
        try:
            orders.create_batch(
                session=db,
                actor=g.user,
                name=request.form.get("name", "")[:128],
                year=int(request.form.get("year") or date.today().year),
                budget_fen=yuan_to_fen(request.form.get("budget_yuan", ""), "budget_yuan"),
            )
        except (ValidationError, ValueError) as exc:
            db.rollback()
            flash(_("Not saved: %(reason)s", reason=str(exc)), "error")
            return redirect(url_for("bureau.batches"))
        db.commit()
        flash(_("Batch created."), "ok")
        return redirect(url_for("bureau.batches"))
    return render_template(
        "bureau/batches.html",
        batches=orders.list_batches(session=db, bureau_id=g.user.bureau_id),
        year=date.today().year,
    )


@bp.route("/orders/new", methods=["GET", "POST"])
@role_required("bureau")
def new_order() -> str | Response:
    """The new-order form; on POST create the order (fee cap and batch budget checked by the service)."""
    db = get_session()
    enterprises = orders.enterprises_in_scope(session=db, user=g.user)
    if request.method == "POST":
        try:
            due = request.form.get("due_date", "")
            order = orders.create_order(
                session=db,
                actor=g.user,
                batch_id=int(request.form.get("batch_id", "0") or 0),
                enterprise_id=int(request.form.get("enterprise_id", "0") or 0),
                kind=request.form.get("kind", ""),
                fee_fen=yuan_to_fen(request.form.get("fee_yuan", ""), "fee_yuan"),
                due_date=date.fromisoformat(due) if due else None,
            )
        except (ValidationError, ValueError) as exc:
            db.rollback()
            flash(_("Not saved: %(reason)s", reason=str(exc)), "error")
        else:
            db.commit()
            flash(_("Order %(number)s created.", number=order.number), "ok")
            return redirect(url_for("orders.show_order", order_id=order.id))
    bureau = db.get(Bureau, g.user.bureau_id)
    caps = {k: orders.fee_cap(session=db, region_code=bureau.region_code, kind=k) for k in orders.KINDS}  # type: ignore[union-attr]
    return render_template(
        "bureau/new_order.html",
        enterprises=enterprises,
        batches=orders.list_batches(session=db, bureau_id=g.user.bureau_id),
        caps=caps,
        form=request.form,
    )
