"""Issuing reports off the web request: a task table (`reportjob`) the jobs process polls and renders.

The web request only queues (milliseconds); `run_pending` in the jobs process claims a job atomically,
renders outside any write transaction, and stores the issued version, the rendered page body and the
job's end in one short transaction, so a version is issued exactly once. A web worker restart loses
nothing (the job is a row); a jobs process killed mid-render leaves the job `running`, and it is queued
again once `stale_after` has passed. The CLI still renders inline (`reports.store.issue_report`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from diagnose.models import DiagnosisOrder, IssuedReport, ReportJob, User
from diagnose.models.base import utcnow
from diagnose.services.audit import audit_log
from reports.assemble import REPORTABLE, NotReportable, has_rating
from reports.render import check_lang, render_body
from reports.store import data_of, issue_report, stamp_of

log = logging.getLogger(__name__)
PENDING = ("queued", "running")
STALE_AFTER = timedelta(minutes=10)  # a job `running` this long lost its jobs process: queue it again
MAX_ATTEMPTS = 3


def reportable(*, session: Session, order: DiagnosisOrder) -> bool:
    """Whether the order can be reported now (cheap: status and a scoring result, no assembly)."""
    return order.status in REPORTABLE and has_rating(session=session, order=order)


def queue_report(
    *,
    session: Session,
    order: DiagnosisOrder,
    actor: User | str,
    lang: str = "zh",
    public_url: str | None = None,
) -> ReportJob:
    """Queue the next version of the order's report; a job already waiting for the order is returned instead.

    Raises NotReportable when the order cannot be reported. The caller commits. `public_url`: the address
    the request reached, the QR code's base when DIAGNOSE_PUBLIC_URL is unset.
    """
    check_lang(lang)
    if not reportable(session=session, order=order):
        raise NotReportable(f"order {order.number} is {order.status} or has no scoring result")
    waiting = pending_jobs(session=session, order=order)
    if waiting:
        return waiting[0]
    job = ReportJob(
        order_id=order.id,  # type: ignore[arg-type]
        lang=lang,
        requested_by=actor.id if isinstance(actor, User) else None,
        public_url=(public_url or None) and public_url[:256],
    )
    session.add(job)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="report.queue", entity="order", entity_id=order.id,
        detail={"job": job.id, "lang": lang},
    )  # fmt: skip
    return job


def pending_jobs(*, session: Session, order: DiagnosisOrder) -> list[ReportJob]:
    """The order's queued or running jobs, oldest first."""
    statement = select(ReportJob).where(ReportJob.order_id == order.id, col(ReportJob.status).in_(PENDING))
    return list(session.exec(statement.order_by(col(ReportJob.id))))


def last_failed(*, session: Session, order: DiagnosisOrder) -> ReportJob | None:
    """The order's newest job if it failed (shown on the page), else None."""
    job = session.exec(
        select(ReportJob).where(ReportJob.order_id == order.id).order_by(col(ReportJob.id).desc()).limit(1)
    ).first()
    return job if job is not None and job.status == "failed" else None


def _requeue_stale(engine: Engine, now: datetime, stale_after: timedelta) -> None:
    with Session(engine) as session:
        session.execute(
            update(ReportJob)
            .where(col(ReportJob.status) == "running", col(ReportJob.started_at) < now - stale_after)
            .values(status="queued")
        )
        session.commit()


def _claim(engine: Engine, now: datetime) -> int | None:
    """Take the oldest queued job (an UPDATE guarded by its status: two claimers never get the same one)."""
    with Session(engine) as session:
        job_id = session.exec(
            select(ReportJob.id).where(ReportJob.status == "queued").order_by(col(ReportJob.id)).limit(1)
        ).first()
        if job_id is None:
            return None
        claimed = session.execute(
            update(ReportJob)
            .where(col(ReportJob.id) == job_id, col(ReportJob.status) == "queued")
            .values(status="running", started_at=now, attempts=ReportJob.attempts + 1)
        )
        session.commit()
    return job_id if getattr(claimed, "rowcount", 0) == 1 else None


def _process(
    engine: Engine, job_id: int, silence_timeout_s: float, pdf_engine: str, bases: tuple[str, str]
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(ReportJob, job_id)
        assert job is not None
        order = session.get(DiagnosisOrder, job.order_id)
        actor: User | str = session.get(User, job.requested_by) if job.requested_by else "system:jobs"  # type: ignore[assignment]
        try:
            assert order is not None and actor is not None
            # Reads and rendering first (no write open), then one short write: the version and the job's end.
            row = issue_report(
                session=session,
                order=order,
                actor=actor,
                lang=job.lang,
                silence_timeout_s=silence_timeout_s,
                pdf_engine=pdf_engine,
                # DIAGNOSE_PUBLIC_URL, else the address the report was requested at, else the served one.
                public_url=bases[0] or job.public_url or bases[1],
            )
        except Exception as exc:  # a failed render must not kill the jobs process: record it on the job
            session.rollback()
            log.exception("report job %s failed", job_id)
            job = session.get(ReportJob, job_id)
            assert job is not None
            job.status = "failed" if job.attempts >= MAX_ATTEMPTS else "queued"
            job.error = f"{type(exc).__name__}: {exc}"[:512]
            job.finished_at = utcnow() if job.status == "failed" else None
            session.add(job)
            session.commit()
            return
        job.status = "done"
        job.finished_at = utcnow()
        job.issued_report_id = row.id
        job.version = row.version
        job.error = None
        session.add(job)
        session.commit()  # the version is issued exactly once, with its job marked done
        # The page body for that version, rendered once here rather than on every view.
        job.body_html = str(render_body(data_of(row), row.lang, stamp_of(row)))
        session.add(job)
        session.commit()


def run_pending(
    engine: Engine,
    *,
    silence_timeout_s: float = 600,
    pdf_engine: str = "auto",
    limit: int = 20,
    stale_after: timedelta = STALE_AFTER,
    clock: Callable[[], datetime] = utcnow,
    public_url: str | None = None,
    served_url: str | None = None,
) -> int:
    """Render queued report jobs (at most `limit`); returns how many were claimed.

    The QR code's base is `public_url` (DIAGNOSE_PUBLIC_URL) when set, else the address each report was
    requested at, else `served_url` (where `diagnose serve` answers); None reads them from the settings."""
    if public_url is None or served_url is None:
        from diagnose.settings import load_settings

        settings = load_settings()
        public_url = settings.public_url if public_url is None else public_url
        served_url = settings.served_url if served_url is None else served_url
    bases = (public_url, served_url)
    _requeue_stale(engine, clock(), stale_after)
    done = 0
    while done < limit:
        job_id = _claim(engine, clock())
        if job_id is None:
            break
        _process(engine, job_id, silence_timeout_s, pdf_engine, bases)
        done += 1
    return done


# Issued versions never change: their rendered body is cached per process, and for versions issued by a job
# it was stored with the job (rendered once, when issued). The key is the row id with both of its hashes: a
# row id alone is not a version (another database the same process serves, a restored copy, reuses it).
_BODIES: OrderedDict[tuple[int, str, str], Markup] = OrderedDict()
_BODIES_MAX = 64
_lock = threading.Lock()


def issued_body(*, session: Session, row: IssuedReport) -> Markup:
    """The report body of an issued version, rendered once (stored with its job, or cached here)."""
    assert row.id is not None
    key = (row.id, row.content_sha256, row.pdf_sha256)
    with _lock:
        if key in _BODIES:
            _BODIES.move_to_end(key)
            return _BODIES[key]
    stored = session.exec(
        select(ReportJob.body_html).where(
            ReportJob.issued_report_id == row.id, col(ReportJob.body_html).is_not(None)
        )
    ).first()
    body = Markup(stored) if stored else render_body(data_of(row), row.lang, stamp_of(row))
    with _lock:
        _BODIES[key] = body
        while len(_BODIES) > _BODIES_MAX:
            _BODIES.popitem(last=False)
    return body


_DRAFTS: OrderedDict[str, tuple[float, Markup]] = OrderedDict()
DRAFT_MAX_AGE_S = 3600.0  # late telemetry may still change a draft's evidence: rebuild it at least hourly


def cached_draft(key: str, build: Callable[[], Markup], folder: Path | None = None) -> Markup:
    """A draft body, built once per `key` (which names what it depends on) and kept for an hour: in this
    process, and in `folder` so every web worker (and a restarted one) shares it. Requests asking for a draft
    being built wait for it rather than draw its charts again (ten viewers at once drew it ten times)."""
    hit = _fresh_draft(key)
    if hit is not None:
        return hit
    with _lock:
        gate = _DRAFT_BUILDS.setdefault(key, threading.Lock())
    try:
        with gate:
            hit = _fresh_draft(key)
            if hit is not None:
                return hit
            return _load_or_build_draft(key, build, folder)
    finally:
        with _lock:
            if _DRAFT_BUILDS.get(key) is gate and not gate.locked():
                del _DRAFT_BUILDS[key]


_DRAFT_BUILDS: dict[str, threading.Lock] = {}


def _fresh_draft(key: str) -> Markup | None:
    with _lock:
        hit = _DRAFTS.get(key)
    return hit[1] if hit is not None and time.time() - hit[0] < DRAFT_MAX_AGE_S else None


def _load_or_build_draft(key: str, build: Callable[[], Markup], folder: Path | None) -> Markup:
    now = time.time()
    path = folder / f"{key}.html" if folder is not None else None
    if path is not None and path.exists() and now - path.stat().st_mtime < DRAFT_MAX_AGE_S:
        body, built_at = Markup(path.read_text(encoding="utf-8")), path.stat().st_mtime
    else:
        body, built_at = build(), now
        if path is not None:
            folder.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            partial.write_text(str(body), encoding="utf-8")
            partial.replace(path)  # atomic: another worker never reads half a file
    with _lock:
        _DRAFTS[key] = (built_at, body)
        while len(_DRAFTS) > _BODIES_MAX:
            _DRAFTS.popitem(last=False)
    return body
