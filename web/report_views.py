"""The diagnosis report in the web UI: the HTML page, issuing a new version, downloading an issued PDF."""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

import reports
from diagnose.models import IssuedReport, OrderStatus, Role
from diagnose.schemas.errors import FieldError
from diagnose.schemas.reports import ContradictionDecisionIn, ReportIssueIn
from diagnose.services.diagnosis import assessments, contradictions, sme
from diagnose.workflow import EDITABLE
from reports import jobs as report_jobs
from web.auth import role_required
from web.db import get_session
from web.forms import FormError, parse_form
from web.messages import not_saved, reason_of
from web.scope import get_order, get_plant_order

bp = Blueprint("reports", __name__, url_prefix="/orders")
VIEWERS = (Role.bureau, Role.provider, Role.enterprise, Role.admin)
ISSUERS = (Role.bureau, Role.provider)  # the provider delivers the report; the bureau may re-issue it


def _lang() -> str:
    return "en" if session.get("lang") == "en" else "zh"


def public_url() -> str:
    """The base of the report's QR code and short link: DIAGNOSE_PUBLIC_URL, else the address this request
    reached (what is actually served), never a default that points elsewhere."""
    configured = current_app.extensions["diagnose_settings"].public_url
    return (configured or request.host_url).rstrip("/")


@bp.get("/<int:order_id>/report")
@role_required(*VIEWERS)
def show_report(order_id: int) -> str:
    """The report as a page: an issued version (newest, or ?version=N), else a draft of the current data."""
    db = get_session()
    order = get_order(order_id)
    issued = reports.versions(session=db, order=order)
    wanted = request.args.get("version", type=int)
    row = (
        next((r for r in issued if r.version == wanted), None) if wanted else (issued[-1] if issued else None)
    )
    if wanted and row is None:
        abort(404)
    result = assessments.latest_result(session=db, order=order)
    if row is not None:
        body = report_jobs.issued_body(session=db, row=row)  # rendered once per version, not per view
    elif (
        reports.has_rating(session=db, order=order)
        and order.status != OrderStatus.cancelled
        # Before submission the draft is the consultant's and the bureau's; the enterprise sees it once submitted.
        and (g.user.role != Role.enterprise or report_jobs.reportable(session=db, order=order))
    ):
        # The draft: the report as it will be issued, from the same renderer, watermarked 草稿 (any time
        # after scoring; issuing changes only the watermark and the number).
        settings = current_app.extensions["diagnose_settings"]
        lang = _lang()
        assessment = assessments.get_or_create(session=db, order=order)
        decided = contradictions.newest_id(session=db, order=order)
        sme_row = sme.latest(session=db, order=order)
        base = public_url()
        # A draft depends on the order, its answers, its newest scoring result and the decisions on its
        # contradictions, and on the address its QR code and short link print: built once per those (shared by
        # the workers through the var folder).
        key = (
            f"{order.id}-{order.updated_at.timestamp():.6f}-{assessment.updated_at.timestamp():.6f}"
            f"-{result.id if result else 0}-{decided}-sme{sme_row.id if sme_row else 0}-{lang}"
            f"-{hashlib.sha256(base.encode()).hexdigest()[:12]}"
        )

        def draft() -> Markup:
            data = reports.assemble(
                session=db, order=order, silence_timeout_s=settings.silence_timeout_s, public_url=base,
                draft=True,
            )  # fmt: skip
            return reports.render_body(data, lang)

        body = report_jobs.cached_draft(key, draft, settings.ensure_var_dir() / "cache" / "report-drafts")
    else:
        body = None
    pending = report_jobs.pending_jobs(session=db, order=order)
    return render_template(
        "reports/show.html",
        order=order,
        issued=issued,
        shown=row,
        body=body,
        pending=pending,
        failed=None if pending else report_jobs.last_failed(session=db, order=order),
        css=Markup(reports.report_css()),
        can_issue=g.user.role in ISSUERS and report_jobs.reportable(session=db, order=order) and not pending,
        items=contradictions.items(session=db, order=order, result=result) if result else [],
        can_decide=g.user.role == Role.provider and order.status in EDITABLE,
        ratings=contradictions.RATINGS,
    )


@bp.post("/<int:order_id>/report/contradictions")
@role_required(Role.provider)
def decide_contradiction(order_id: int) -> Response:
    """The consultant's decision on one 自评与实测不一致 item (change the rating and score again, or keep it
    with a written reason); submission waits until every one is decided."""
    db = get_session()
    order = get_plant_order(order_id)  # the questionnaire's side: closed to the provider once the order ends
    try:
        form = parse_form(ContradictionDecisionIn)
        contradictions.decide(
            session=db,
            actor=g.user,
            order=order,
            requirement_id=form.requirement_id,
            decision=form.decision,
            reason=form.reason,
            new_rating=form.new_rating,
            silence_timeout_s=current_app.extensions["diagnose_settings"].silence_timeout_s,
        )
    except (FormError, FieldError) as exc:
        db.rollback()
        flash(not_saved(exc), "error")
        return redirect(url_for("reports.show_report", order_id=order_id) + "#contradictions")
    db.commit()
    waiting = contradictions.unresolved(session=db, order=order)
    flash(
        _("Decision recorded; %(n)s still to decide.", n=len(waiting))
        if waiting
        else _("Every contradiction is decided: the diagnosis can be submitted."),
        "ok",
    )
    return redirect(url_for("reports.show_report", order_id=order_id) + "#contradictions")


@bp.post("/<int:order_id>/report/issue")
@role_required(*ISSUERS)
def issue(order_id: int) -> Response:
    """Queue the next version of the report; the jobs process renders it (a new row; earlier ones stay)."""
    db = get_session()
    order = get_order(order_id)
    try:
        wanted = parse_form(ReportIssueIn)  # the API's body for issuing a report
    except FormError as exc:
        flash(_("Not done: %(reason)s", reason=reason_of(exc)), "error")
        return redirect(url_for("reports.show_report", order_id=order_id))
    try:
        report_jobs.queue_report(
            session=db, order=order, actor=g.user, lang=wanted.lang, public_url=public_url()
        )
    except reports.NotReportable:
        db.rollback()
        flash(_("Only a submitted or accepted diagnosis can be reported."), "error")
        return redirect(url_for("reports.show_report", order_id=order_id))
    db.commit()
    flash(_("The report is being generated; this page shows it when it is ready."))
    return redirect(url_for("reports.show_report", order_id=order_id))


@bp.get("/<int:order_id>/report/v<int:version>.pdf")
@role_required(*VIEWERS)
def download(order_id: int, version: int) -> Response:
    """The exact bytes of an issued version."""
    order = get_order(order_id)
    row = reports.get_version(session=get_session(), order=order, version=version)
    if row is None:
        abort(404)
    return send_file(
        io.BytesIO(row.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{row.report_number}-v{row.version}.pdf",
        etag=row.pdf_sha256,
    )


_DOCX: OrderedDict[int, bytes] = OrderedDict()  # issued versions never change: their Word copy neither
_DOCX_MAX = 8
_docx_lock = threading.Lock()


def _docx_of(row: IssuedReport) -> bytes:
    """The Word copy of an issued version, drawn once per process (its charts take seconds to draw)."""
    assert row.id is not None
    with _docx_lock:
        if row.id in _DOCX:
            _DOCX.move_to_end(row.id)
            return _DOCX[row.id]
    body = reports.render_docx(reports.data_of(row), row.lang, reports.stamp_of(row))
    with _docx_lock:
        _DOCX[row.id] = body
        while len(_DOCX) > _DOCX_MAX:
            _DOCX.popitem(last=False)
    return body


@bp.get("/<int:order_id>/report/v<int:version>.docx")
@role_required(*VIEWERS)
def download_docx(order_id: int, version: int) -> Response:
    """An editable Word copy of an issued version: same content and number, marked as a working copy."""
    order = get_order(order_id)
    row = reports.get_version(session=get_session(), order=order, version=version)
    if row is None:
        abort(404)
    body = _docx_of(row)
    return send_file(
        io.BytesIO(body),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        as_attachment=True,
        download_name=f"{row.report_number}-v{row.version}-working-copy.docx",
    )
