"""A visit rating the SME digital level alone (issue #26 point 4: "CMMM, the SME index, or both"): the order
page offers it, the rating keeps the measured week its proposals read, the order submits without a CMMM
scoring, and the result page, the report (PDF and Word copy) and the API show the SME rating with that week."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import select

from diagnose import workflow
from diagnose.models import DiagnosisOrder, EvidenceSnapshotRecord, Result, SmeResult, User
from diagnose.schemas.errors import FieldError
from diagnose.services.diagnosis import assessments, sme
from reports import assemble, has_rating, render_body, render_docx
from tests.web.conftest import client_as
from tests.web.world import db_of

# Four or more Latin words in a row is an English sentence (ids like GB/T 39116-2020 or SHA-256 are not).
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:'()-]+[A-Za-z]{2,}){3,}")


@pytest.fixture
def app(world_app: Flask) -> Flask:
    return world_app


def sme_only(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    """The world's on-site order (CMMM and SME both scored) switched to the SME level alone."""
    answer = client_as(app, world, "provider").post(
        f"/provider/orders/{world.order_id}/instruments", data={"instruments": "sme"}
    )
    assert answer.status_code == 302


def test_the_order_page_offers_the_sme_level_alone_and_hides_the_cmmm_questionnaire(
    app: Flask, world
) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    page = client.get(f"/orders/{world.order_id}").get_data(as_text=True)
    assert 'value="sme"' in page and 'id="cmmm-link"' in page
    sme_only(app, world)
    page = client.get(f"/orders/{world.order_id}").get_data(as_text=True)
    assert 'value="sme" checked' in page and 'id="order-instruments">中小企业数字化水平<' in page
    assert 'id="cmmm-link"' not in page and 'id="sme-link"' in page
    # The timeline names the change in words (the instruments, not a status).
    timeline = page[page.index('id="timeline"') :]
    assert "选择评测工具" in timeline and ">中小企业数字化水平<" in timeline and ">sme<" not in timeline
    with db_of(app) as db:
        assert db.get(DiagnosisOrder, world.order_id).instruments == "sme"  # type: ignore[union-attr]


def test_a_rating_made_for_both_instruments_is_rated_again_before_an_sme_only_submission(
    app: Flask, world
) -> None:  # type: ignore[no-untyped-def]
    """The rating made while the order also rated CMMM kept no week of its own (the CMMM result held it):
    the report would have no evidence, so the order waits for a rating of its own."""
    sme_only(app, world)
    client = client_as(app, world, "provider")
    refused = client.post(f"/orders/{world.order_id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "提交前请先评定中小企业数字化水平" in refused
    rated = client.post(f"/provider/orders/{world.order_id}/sme/score")
    assert rated.status_code == 302 and rated.headers["Location"].endswith(
        f"/orders/{world.order_id}/result#sme"
    )
    with db_of(app) as db:
        row = sme.latest(session=db, order=db.get(DiagnosisOrder, world.order_id))  # type: ignore[arg-type]
        assert row is not None and row.snapshot_id is not None
        kept = db.get(EvidenceSnapshotRecord, row.snapshot_id)
        assert kept is not None and kept.result_id is None and kept.order_id == world.order_id
    client.post(f"/orders/{world.order_id}/submit")
    with db_of(app) as db:
        assert db.get(DiagnosisOrder, world.order_id).status == "submitted"  # type: ignore[union-attr]


def _rated_and_submitted(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    sme_only(app, world)
    client = client_as(app, world, "provider")
    client.post(f"/provider/orders/{world.order_id}/sme/score")
    client.post(f"/orders/{world.order_id}/submit")


def test_the_result_page_shows_the_sme_rating_and_the_week_it_kept(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    _rated_and_submitted(app, world)
    page = client_as(app, world, "enterprise").get(f"/orders/{world.order_id}/result").get_data(as_text=True)
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        row = sme.latest(session=db, order=order)  # type: ignore[arg-type]
        week = assessments.page_snapshot(session=db, order=order)  # type: ignore[arg-type]
        kept = assessments.kept_sme_snapshot(session=db, order=order)  # type: ignore[arg-type]
    assert row is not None and f'<strong id="sme-level">{row.detail["level_zh"]}</strong>' in page
    assert 'id="sme-only"' in page and 'id="result-level"' not in page  # no CMMM level on an SME-only visit
    assert 'id="evidence"' in page and "数字化水平评定所依据的实测数据" in page
    # The test plant sent no telemetry in the kept week: its OEE card says so, never a 0 %.
    oee = page[page.index('data-indicator="oee"') :]
    oee = oee[: oee.index("</dd>")]
    assert 'data-status="ok"' not in oee and "0.0%" not in oee and "0%" not in oee
    decisions = page[page.index('id="sme-decisions"') :]
    assert (
        "采纳" in decisions[: decisions.index("</table>")]
        and "已验收" not in decisions[: decisions.index("</table>")]
    )
    # One set of figures per visit: the page, the questionnaire's proposals and the report read the kept week.
    assert kept is not None and week == kept
    order_page = client_as(app, world, "enterprise").get(f"/orders/{world.order_id}").get_data(as_text=True)
    assert 'id="result-link"' in order_page and 'id="report-link"' in order_page


def test_the_report_is_the_sme_rating_in_chinese_with_every_answer(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    _rated_and_submitted(app, world)
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        assert order is not None and has_rating(session=db, order=order)
        data = assemble(session=db, order=order, public_url="https://zhizhen.example.cn")
        row = sme.latest(session=db, order=order)
    assert data.summary is None and data.roadmap is None and data.sme is not None and row is not None
    assert len(data.sme.answers) == 15 + 16 and data.sme.index_version == row.index_version
    body = str(render_body(data, "zh"))
    text = re.sub(r"<[^>]+>", " ", body)
    for heading in ("中小企业数字化水平评测报告", "1 评测摘要", "2 数字化水平评测", "3 实测证据", "4 方法说明",
                    "附录 A 评测答卷", "签署页"):  # fmt: skip
        assert heading in text, heading
    assert text.index("1 评测摘要") < text.index("2 数字化水平评测") < text.index("3 实测证据")
    assert row.detail["level_zh"] in text and "不是工业和信息化部评测系统出具的正式评测结果或证书" in text
    # None of the maturity parts: no level chart, roadmap, subsidy or CMMM questionnaire.
    for absent in (
        'id="maturity"',
        'id="roadmap"',
        'id="subsidy"',
        'id="appendix-b"',
        "成熟度等级（自评估）",
    ):
        assert absent not in body, absent
    assert body.count("<tr><td>") >= 31  # the answer sheet: a row per item and scenario
    oee_cell = body[body.index('id="ev-oee"') :]
    said = oee_cell[: oee_cell.index("</td>")].split(">", 1)[1]
    assert said.startswith(("数据不足", "无数据")), said  # no week of data: said why, not 0 %
    assert not ENGLISH.search(text), ENGLISH.search(text)
    # The Word working copy walks the same HTML: the same title and chapters.
    import docx

    document = docx.Document(io.BytesIO(render_docx(data, "zh")))
    words = "\n".join(p.text for p in document.paragraphs)
    assert "中小企业数字化水平评测报告" in words and "2 数字化水平评测" in words


def test_the_report_is_issued_and_the_api_gives_the_sme_level(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    _rated_and_submitted(app, world)
    headers = {"Authorization": f"Bearer {world.tokens['provider']}"}
    client = app.test_client()
    body = client.get(f"/api/v1/orders/{world.order_id}/sme", headers=headers).get_json()
    assert body["rated"] is True and body["instruments"] == "sme"
    # The CMMM result scored while the order still rated both is not this visit's: not served, not reported.
    with db_of(app) as db:
        assert db.exec(select(Result).where(Result.order_id == world.order_id)).first() is not None
    assert client.get(f"/api/v1/orders/{world.order_id}/result", headers=headers).status_code == 404
    report = client_as(app, world, "provider").get(f"/orders/{world.order_id}/report").get_data(as_text=True)
    assert "中小企业数字化水平评测报告" in report and 'id="checks"' not in report
    queued = client.post(f"/api/v1/orders/{world.order_id}/reports", headers=headers, json={"lang": "zh"})
    assert queued.status_code in (200, 201, 202), queued.get_data(as_text=True)


def test_the_workflow_refuses_an_sme_only_submission_without_a_rating(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    sme_only(app, world)
    with db_of(app) as db:
        for row in db.exec(select(SmeResult).where(SmeResult.order_id == world.order_id)):
            db.delete(row)
        db.commit()
        order = db.get(DiagnosisOrder, world.order_id)
        provider = db.get(User, world.user_ids["provider"])
        assert order is not None and not has_rating(session=db, order=order)
        with pytest.raises(FieldError) as refused:
            workflow.apply(session=db, order=order, action="submit", actor=provider)  # type: ignore[arg-type]
        assert refused.value.field == "sme_result"


@pytest.mark.slow  # renders the PDF (a few seconds; more under load)
def test_the_issued_report_verifies_publicly_with_the_sme_level(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    """The public verification page of an SME-only report names its SME level (it has no maturity level), and
    the PDF reads as the SME report."""
    import subprocess

    from reports import issue_report

    _rated_and_submitted(app, world)
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        row = issue_report(session=db, order=order, actor="system:test", public_url="https://zz.example.cn")  # type: ignore[arg-type]
        db.commit()
        level_zh = sme.latest(session=db, order=order).detail["level_zh"]  # type: ignore[arg-type,union-attr]
    page = app.test_client().get(f"/v/{row.report_number}-v{row.version}/{row.content_sha256[:16]}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-verdict="issued"' in text
    assert f'<td id="verified-sme-level">{level_zh}</td>' in text and "成熟度等级" not in text
    pdf = Path(world.var_dir) / "sme-only.pdf"
    pdf.write_bytes(row.pdf)
    printed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "中小企业数字化水平评测报告" in printed and "附录 A 评测答卷" in printed
    assert not ENGLISH.search(printed), ENGLISH.search(printed)
