"""The report page, the issue button and the PDF download, scoped to the order's parties."""

from __future__ import annotations

import html
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from apps.processes import jobs
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, IssuedReport, OrderStatus, ReportJob, User
from diagnose.models.base import utcnow
from diagnose.services.diagnosis import assessments
from diagnose.settings import load_settings
from reports import jobs as report_jobs
from tests.reports.conftest import SCRIPT
from tests.web.conftest import log_in_as
from web import create_app, report_views


@pytest.fixture
def setup(demo_db: Path, tmp_path: Path) -> tuple[Flask, int, dict[str, int]]:
    """An app on a copy of the demo data whose accepted order has a script tag as an evidence note."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.accepted)
        ).first()
        assert order is not None
        assessment = assessments.get_or_create(session=session, order=order)
        # The order is closed for edits: set the notes directly, on every answer (whichever the report lists).
        for answer in assessments.answers_of(session=session, assessment=assessment).values():
            answer.evidence_note = SCRIPT
            session.add(answer)
        assessment.updated_at = utcnow()  # as assessments.save_answer does: drafts are cached on it
        session.add(assessment)
        session.commit()
        users = {u.username: u for u in session.exec(select(User)).all()}
        party = {
            "provider": next(u.id for u in users.values() if u.provider_id == order.provider_id),
            "enterprise": next(u.id for u in users.values() if u.enterprise_id == order.enterprise_id),
            "other_enterprise": next(
                u.id for u in users.values() if u.enterprise_id not in (None, order.enterprise_id)
            ),
        }
        order_id = order.id
    engine.dispose()
    settings = load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="test-secret", database_url=f"sqlite:///{copy}"
    )
    app = create_app(settings, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    if "reports" not in app.blueprints:
        app.register_blueprint(report_views.bp)
    return app, order_id, party  # type: ignore[return-value]


def _client(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    log_in_as(app, client, user_id)
    return client


def test_draft_page_escapes_free_text(setup: tuple[Flask, int, dict[str, int]]) -> None:
    app, order_id, party = setup
    page = _client(app, party["enterprise"]).get(f"/orders/{order_id}/report")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.escape(SCRIPT, quote=False) in text and SCRIPT not in text
    assert "1 诊断摘要" in text


@pytest.mark.slow  # renders the report, its PDF and its Word copy: 3.8 s with the browser already started, at load 1.6
def test_issue_button_queues_a_job_the_jobs_process_renders_once(
    setup: tuple[Flask, int, dict[str, int]],
) -> None:
    app, order_id, party = setup
    provider = _client(app, party["provider"])
    issued = provider.post(f"/orders/{order_id}/report/issue", data={"lang": "zh"})
    assert issued.status_code == 302 and issued.location.endswith(f"/orders/{order_id}/report")
    again = provider.post(f"/orders/{order_id}/report/issue", data={"lang": "zh"})  # a double click
    assert again.status_code == 302
    page = provider.get(f"/orders/{order_id}/report").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "v1" not in page  # queued: the page shows progress
    settings = app.extensions["diagnose_settings"]
    # A new app (the web worker restarted) and the jobs process: the queued job is still there.
    restarted = create_app(settings, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    engine = make_engine(settings)
    assert jobs.render_reports(engine, settings) == 1
    assert jobs.render_reports(engine, settings) == 0  # issued exactly once
    with Session(engine) as session:
        rows = session.exec(select(IssuedReport).where(IssuedReport.order_id == order_id)).all()
        job = session.exec(select(ReportJob).where(ReportJob.order_id == order_id)).one()
    assert [r.version for r in rows] == [1] and job.status == "done" and job.body_html
    engine.dispose()
    client = _client(restarted, party["provider"])
    page = client.get(f"/orders/{order_id}/report?version=1").get_data(as_text=True)
    assert "v1" in page and "SHA-256" in page and "http-equiv" not in page
    pdf = _client(restarted, party["enterprise"]).get(f"/orders/{order_id}/report/v1.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # The Word copy: the same report with its charts, drawn once and then served again as is.
    docx = _client(restarted, party["enterprise"]).get(f"/orders/{order_id}/report/v1.docx")
    assert docx.status_code == 200 and docx.data.startswith(b"PK") and b"word/media/" in docx.data
    again = _client(restarted, party["provider"]).get(f"/orders/{order_id}/report/v1.docx")
    assert again.data == docx.data


def test_a_job_whose_jobs_process_died_is_queued_again_and_issued_once(
    setup: tuple[Flask, int, dict[str, int]],
) -> None:
    app, order_id, party = setup
    _client(app, party["provider"]).post(f"/orders/{order_id}/report/issue", data={"lang": "en"})
    settings = app.extensions["diagnose_settings"]
    engine = make_engine(settings)
    with Session(engine) as session:  # claimed, then the jobs process was killed before it committed
        job = session.exec(select(ReportJob)).one()
        job.status, job.started_at = "running", utcnow() - timedelta(hours=1)
        session.add(job)
        session.commit()
    assert report_jobs.run_pending(engine, stale_after=timedelta(days=1)) == 0  # not stale yet: left alone
    assert report_jobs.run_pending(engine) == 1
    with Session(engine) as session:
        assert [r.lang for r in session.exec(select(IssuedReport)).all()] == ["en"]
        assert session.exec(select(ReportJob)).one().attempts == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("enterprise", "post", "/report/issue", 403),
        ("other_enterprise", "get", "/report", 404),
        ("provider", "get", "/report/v9.pdf", 404),
        ("provider", "get", "/report?version=9", 404),
    ],
)
def test_scope(
    setup: tuple[Flask, int, dict[str, int]], who: str, method: str, path: str, status: int
) -> None:
    app, order_id, party = setup
    response = getattr(_client(app, party[who]), method)(f"/orders/{order_id}{path}")
    assert response.status_code == status


def test_the_report_page_lists_versions_without_their_pdf_bytes_or_json(
    setup: tuple[Flask, int, dict[str, int]],
) -> None:
    """Three issued versions of 2 MB each: the page lists them all and selects neither blob column; the
    download still sends the exact bytes of the version asked for."""
    from tests.web.counting import statements

    app, order_id, party = setup
    blobs = {v: b"%PDF-1.7 " + bytes([v]) * 2_000_000 for v in (1, 2, 3)}
    engine = app.extensions["diagnose_engine"]
    with Session(engine) as session:
        for version, pdf in blobs.items():
            row = IssuedReport(
                order_id=order_id, report_number="R-TEST", version=version, lang="zh",
                content_sha256=f"{version:064x}", pdf_sha256=f"{version + 10:064x}", size_bytes=len(pdf),
                pdf=pdf, data={"stamp": {"issued_at": "2026-12-01T00:00:00+00:00"}, "padding": "x" * 500_000},
            )  # fmt: skip
            session.add(row)
            session.flush()
            # The version's body as the jobs process stores it (the page shows it; no render here).
            session.add(
                ReportJob(order_id=order_id, status="done", issued_report_id=row.id, version=version,
                          body_html=f"<p>body of v{version}</p>")
            )  # fmt: skip
        session.commit()
    client = _client(app, party["provider"])
    with statements(engine) as sent:
        page = client.get(f"/orders/{order_id}/report")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "body of v3" in text
    assert all(f"/report/v{v}.pdf" in text for v in blobs)
    reading_reports = [s for s in sent if "FROM issuedreport" in s]
    assert reading_reports, sent  # the list is read …
    selected = [s.split(" FROM ", 1)[0] for s in reading_reports]
    assert not [s for s in selected if "issuedreport.pdf," in s or "issuedreport.pdf " in s
                or "issuedreport.data" in s], selected  # … without either blob  # fmt: skip
    download = client.get(f"/orders/{order_id}/report/v2.pdf")
    assert download.status_code == 200 and download.data == blobs[2]
