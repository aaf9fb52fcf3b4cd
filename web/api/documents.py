"""Issued reports (list, download the exact PDF, verify a file), supervision (flags, league table) and the
policy catalogue with subsidy sizing."""

from __future__ import annotations

import io
from datetime import date
from typing import ClassVar

from flask import Response, g, request, send_file
from flask_openapi3.models import RawModel
from pydantic import BaseModel, Field

import reports
from diagnose.models import ReportJob, Role
from diagnose.models.base import utcnow
from diagnose.schemas.common import PathId
from diagnose.schemas.errors import FieldError
from diagnose.schemas.policies import (
    CatalogueOut,
    ClauseOut,
    PolicyOut,
    SubsidyOut,
    SubsidyPlanIn,
    TargetOut,
)
from diagnose.schemas.reports import (
    ContradictionDecisionIn,
    ContradictionList,
    ContradictionOut,
    ReportIssueIn,
    ReportJobOut,
    ReportList,
    ReportVersionOut,
    VerificationOut,
)
from diagnose.schemas.supervision import FlagList, FlagOut, FlagQuery, LeagueOut, LeagueRow, PeriodQuery
from diagnose.services.diagnosis import contradictions
from diagnose.services.supervision import supervision_review
from reports import jobs as report_jobs
from scoring.china_time import china_today
from scoring.subsidy import PlanError, evaluate, load_catalogue, parse_plan
from web.api.base import ALL, api_role, bp, not_found, ok, tag, writing
from web.db import get_session
from web.scope import get_order

REPORTS = tag("reports", "诊断报告")
SUPERVISION = tag("supervision", "监管：异常与服务商排名")
POLICIES = tag("policies", "政策目录与补贴测算")
MAX_PDF_BYTES = 20 * 1024 * 1024


class OrderPath(BaseModel):
    order_id: PathId = Field(title="订单编号")


class VersionPath(OrderPath):
    version: int = Field(ge=1, le=1_000_000, title="版本")


class PdfBody(RawModel):
    """The file to verify, as the raw request body (application/pdf)."""

    mimetypes: ClassVar[list[str]] = ["application/pdf"]


@bp.get("/orders/<int:order_id>/reports", tags=REPORTS, responses={200: ReportList})
@api_role(*ALL)
def list_reports(path: OrderPath) -> Response:
    """The issued versions of the order's report, oldest first."""
    rows = reports.versions(session=get_session(), order=get_order(path.order_id))
    return ok(ReportList(items=[ReportVersionOut.model_validate(r) for r in rows]))


class JobPath(OrderPath):
    job_id: PathId = Field(title="任务编号")


@bp.post("/orders/<int:order_id>/reports", tags=REPORTS, responses={202: ReportJobOut})
@api_role(Role.bureau, Role.provider)
def issue_report(path: OrderPath, body: ReportIssueIn) -> Response:
    """Issue the next version of the report of a submitted or accepted diagnosis, as the report page's
    button does: the jobs process renders it; follow the job for the version. A job already waiting for
    the order is returned instead of a second one."""
    order = get_order(path.order_id)
    with writing() as db:
        try:
            job = report_jobs.queue_report(
                session=db, order=order, actor=g.user, lang=body.lang, public_url=request.host_url
            )
        except reports.NotReportable as exc:
            raise FieldError("order_id", "not_reportable") from exc
    return ok(ReportJobOut.model_validate(job), 202)


def _contradictions(order: object) -> ContradictionList:
    found = contradictions.items(session=get_session(), order=order)  # type: ignore[arg-type]
    return ContradictionList(
        items=[
            ContradictionOut(
                requirement_id=i.requirement_id,
                statement_zh=i.statement_zh,
                claimed=i.claimed,
                proposed=i.proposed,
                measured=i.measured,
                decided=i.decision is not None,
                reason=i.decision.reason if i.decision else "",
            )
            for i in found
        ]
    )


@bp.get("/orders/<int:order_id>/contradictions", tags=REPORTS, responses={200: ContradictionList})
@api_role(*ALL)
def list_contradictions(path: OrderPath) -> Response:
    """自评与实测不一致: the self-ratings the newest scoring's data contradict, each decided or not."""
    return ok(_contradictions(get_order(path.order_id)))


@bp.post("/orders/<int:order_id>/contradictions", tags=REPORTS, responses={200: ContradictionList})
@api_role(Role.provider, plant=True)
def decide_contradiction(path: OrderPath, body: ContradictionDecisionIn) -> Response:
    """The consultant's decision on one contradiction: `changed` to `new_rating` (scored again) or `kept`
    with a `reason`; submitting waits until every one is decided."""
    order = get_order(path.order_id)
    with writing() as db:
        contradictions.decide(
            session=db, actor=g.user, order=order, requirement_id=body.requirement_id,
            decision=body.decision, reason=body.reason, new_rating=body.new_rating,
        )  # fmt: skip
    return ok(_contradictions(order))


@bp.get("/orders/<int:order_id>/report-jobs/<int:job_id>", tags=REPORTS, responses={200: ReportJobOut})
@api_role(*ALL)
def show_report_job(path: JobPath) -> Response:
    """A report job's progress and, once done, the version it issued."""
    order = get_order(path.order_id)
    job = get_session().get(ReportJob, path.job_id)
    if job is None or job.order_id != order.id:
        not_found("no such report job")
    return ok(ReportJobOut.model_validate(job))


@bp.get(
    "/orders/<int:order_id>/reports/<int:version>.pdf",
    tags=REPORTS,
    responses={200: {"description": "The issued PDF", "content": {"application/pdf": {"schema": {}}}}},
)
@api_role(*ALL)
def download_report(path: VersionPath) -> Response:
    """The exact bytes of an issued version."""
    row = reports.get_version(session=get_session(), order=get_order(path.order_id), version=path.version)
    if row is None:
        not_found("no such issued version")
    return send_file(
        io.BytesIO(row.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{row.report_number}-v{row.version}.pdf",
    )


@bp.post(
    "/reports/verify",
    tags=REPORTS,
    responses={200: VerificationOut},
)
@api_role(*ALL, stores=False)
def verify_report(raw: PdfBody) -> Response:
    """Is this file an issued report? The body is the PDF itself (Content-Type: application/pdf)."""
    data = request.get_data(cache=False)
    if not data:
        raise FieldError("body", "pdf_body")
    if len(data) > MAX_PDF_BYTES:
        raise FieldError("body", "pdf_too_large", mib=MAX_PDF_BYTES // (1024 * 1024))
    found = reports.verify_pdf(session=get_session(), pdf=data)
    return ok(VerificationOut.model_validate(found))


@bp.get("/supervision/flags", tags=SUPERVISION, responses={200: FlagList})
@api_role(Role.bureau)
def list_flags(query: FlagQuery) -> Response:
    """Anomaly flags on orders in the bureau's regions, strongest first."""
    rows = supervision_review.list_flags(
        session=get_session(), bureau_id=g.user.bureau_id, status=query.status
    )
    return ok(
        FlagList(
            items=[
                FlagOut(
                    id=f.id,  # type: ignore[arg-type]
                    order_id=o.id,
                    order_number=o.number,
                    enterprise_name=e.name,
                    provider_id=f.provider_id,
                    kind=f.kind,
                    strength=f.strength,
                    evidence=f.evidence,
                    source=f.source,
                    detected_at=f.detected_at,
                    decision=f.decision,
                    decision_note=f.decision_note,
                )
                for f, o, e in rows
            ]
        )
    )


@bp.get("/supervision/league", tags=SUPERVISION, responses={200: LeagueOut})
@api_role(Role.bureau)
def league(query: PeriodQuery) -> Response:
    """The providers serving the bureau's regions over a period (the current year by default)."""
    today = china_today(utcnow())
    start, end = query.start or date(today.year, 1, 1), query.end or date(today.year, 12, 31)
    report = supervision_review.performance(
        session=get_session(), bureau_id=g.user.bureau_id, start=start, end=end
    )
    return ok(
        LeagueOut(
            start=start,
            end=end,
            rows=[
                LeagueRow(
                    provider_id=r.provider_id,
                    provider_name=report.providers[r.provider_id].name
                    if r.provider_id in report.providers
                    else "",
                    assigned=r.assigned,
                    delivered=r.delivered,
                    completed=r.completed,
                    on_time=r.on_time,
                    returned=r.returned,
                    avg_delivery_days=r.avg_delivery_days,
                    avg_rating=r.avg_rating,
                    billed_fen=r.billed_fen,
                    committed_fen=r.committed_fen,
                    open_flags=report.open_flags.get(r.provider_id, 0),
                )
                for r in report.rows
            ],
        )
    )


@bp.get("/policies", tags=POLICIES, responses={200: CatalogueOut})
@api_role(*ALL)
def policies() -> Response:
    """The policy catalogue: documents, award clauses with their quotes, and what they pay for."""
    cat = load_catalogue()
    return ok(
        CatalogueOut(
            policies=[PolicyOut.model_validate(p) for p in cat.policies],
            clauses=[
                ClauseOut(
                    id=c.id,
                    policy=c.policy,
                    clause=c.clause,
                    target=c.target,
                    region=c.region,
                    valid_from=c.valid_from,
                    valid_to=c.valid_to,
                    quote=c.quote,
                )
                for c in cat.clauses
            ],
            targets=[TargetOut.model_validate(t) for t in sorted(cat.targets.values(), key=lambda t: t.id)],
        )
    )


@bp.post("/subsidy", tags=POLICIES, responses={200: SubsidyOut})
@api_role(*ALL, stores=False)
def size_subsidy(body: SubsidyPlanIn) -> Response:
    """What a plan earns under the policies in force on its date, clause by clause (nothing is stored)."""
    try:
        plan = parse_plan(body.plan())
    except PlanError as exc:
        raise FieldError(exc.field, "detail", detail=exc.message) from exc
    return ok(SubsidyOut.model_validate(evaluate(plan, load_catalogue()).to_dict()))
