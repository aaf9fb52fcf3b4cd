"""The report as a Chinese deliverable: read the issued PDF (pdftotext) and the DOCX working copy as text.

Neither may show a seed file name (`.txt`), an internal clause or policy id, or an English sentence; policies
are cited by issuer, document number and clause; 4.1 comes before 4.2; priorities are 高/中/低; money is ¥.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, IssuedReport, OrderStatus, User
from diagnose.services.diagnosis import assessments
from reports import data_of, issue_report, render_docx, stamp_of
from scoring.subsidy import load_catalogue
from tests.reports.conftest import run

# Two diagnoses scored, issued and rendered (PDF and Word) before the first test: 2.5 to 3 min of setup at load
# 15-19 on the test machine, past the 300 s timeout at 26.
pytestmark = pytest.mark.slow

PUBLIC_URL = "https://zhizhen.example.cn"
# Four or more Latin words in a row is an English sentence (ids like GB/T 39116-2020 or SHA-256 are not).
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:'()-]+[A-Za-z]{2,}){3,}")


@dataclass(frozen=True)
class Issued:
    row: IssuedReport
    pdf_text: str
    docx_text: str


def docx_text(body: bytes) -> str:
    """Every paragraph, table cell, header and footer of a DOCX, one per line."""
    import docx

    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in (*section.header.paragraphs, *section.footer.paragraphs))
    return "\n".join(parts)


def pdf_text(body: bytes, folder: Path, name: str) -> str:
    path = folder / f"{name}.pdf"
    path.write_bytes(body)
    return run("pdftotext", "-enc", "UTF-8", str(path), "-")


@pytest.fixture(scope="module")
def engine(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    copy = tmp_path_factory.mktemp("deliverable") / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def reports_issued(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Issued]:
    """A Wujin diagnosis (Changzhou's policies in force) scored and submitted, and a Taicang one."""
    folder = tmp_path_factory.mktemp("texts")
    out: dict[str, Issued] = {}
    with Session(engine, expire_on_commit=False) as session:
        wujin = session.exec(select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.on_site)).one()
        provider = session.exec(select(User).where(User.provider_id == wujin.provider_id)).first()
        assert provider is not None
        assessments.run_scoring(session=session, actor=provider, order=wujin)
        wujin.status, wujin.submitted_at = OrderStatus.submitted, datetime.now(UTC)
        session.add(wujin)
        taicang = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.accepted)
        ).first()
        assert taicang is not None
        for name, order in (("wujin", wujin), ("taicang", taicang)):
            row = issue_report(session=session, order=order, actor="system:test", public_url=PUBLIC_URL)
            body = render_docx(data_of(row), row.lang, stamp_of(row))
            out[name] = Issued(row, pdf_text(row.pdf, folder, name), docx_text(body))
        session.commit()
    return out


def _texts(reports_issued: dict[str, Issued]) -> Iterator[tuple[str, str]]:
    for name, issued in reports_issued.items():
        yield f"{name}.pdf", issued.pdf_text
        yield f"{name}.docx", issued.docx_text


def test_no_file_names_clause_ids_or_english(reports_issued: dict[str, Issued]) -> None:
    catalogue = load_catalogue()
    internal = {c.id for c in catalogue.clauses} | {p.id for p in catalogue.policies}
    for name, text in _texts(reports_issued):
        assert ".txt" not in text, name
        assert "§" not in text, name
        flat = " ".join(text.split())
        leaked = sorted(i for i in internal if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", flat))
        assert not leaked, (name, leaked[:5])
        english = ENGLISH.findall(flat)
        assert not english, (name, english[:5])


def test_policies_cited_by_issuer_number_and_clause(reports_issued: dict[str, Issued]) -> None:
    issued = reports_issued["wujin"]
    assert "常州市工业和信息化局、常州市财政局 常工信综合〔2021〕62号 第四条" in issued.docx_text
    flat = "".join(
        issued.pdf_text.split()
    )  # a table cell's lines interleave with its neighbours' in pdftotext
    assert "常州市工业和信息化局" in flat and "常工信综合" in flat and "〔2021〕62号第四条" in flat
    for text in (flat, issued.docx_text):
        assert "一事一议" in text


def test_sections_in_order_and_wording(reports_issued: dict[str, Issued]) -> None:
    for name, text in _texts(reports_issued):
        flat = "".join(text.split())
        assert flat.index("4.1差距清单") < flat.index("4.2改进路线图") < flat.index("5补贴测算"), name
        assert "自评估" in flat and "不等同于评估机构出具的成熟度等级认证" in flat, name
        assert "签署页" in flat and "企业确认" in flat and "诊断人员" in flat, name
        assert "同行对标" in flat, name
        assert re.search(r"\d 元|\d元", text) is None, name  # money is ¥1,234.00, never "… 元"
        assert "¥" in text, name
        assert re.search(r"\b0\.0\d{3}\b", text) is None, name  # no raw priority floats


def test_priorities_are_words(reports_issued: dict[str, Issued]) -> None:
    data = data_of(reports_issued["wujin"].row)
    assert data.roadmap.gaps and {g.band for g in data.roadmap.gaps} <= {"high", "medium", "low"}
    assert "high" in {g.band for g in data.roadmap.gaps}


def test_docx_is_the_same_report_marked_as_working_copy(reports_issued: dict[str, Issued]) -> None:
    for issued in reports_issued.values():
        row, text = issued.row, issued.docx_text
        assert "工作底稿" in text and "非正式版本" in text
        assert f"{row.report_number} v{row.version}" in text
        assert row.content_sha256 in text
        data = data_of(row)
        assert data.cover.enterprise_name in text
        assert all(f.zh in text for f in data.summary.findings)


def test_verification_link_printed_with_the_qr(reports_issued: dict[str, Issued]) -> None:
    row = reports_issued["taicang"].row
    link = f"/v/{row.report_number}-v{row.version}/{row.content_sha256[:16]}"
    assert link in "".join(reports_issued["taicang"].pdf_text.split())
    # The Word copy prints the link as the PDF does (host and path, no scheme), beside the same QR code.
    assert PUBLIC_URL.split("://", 1)[1] + link in reports_issued["taicang"].docx_text


def test_step_subsidy_only_where_the_level_after_meets_the_award(reports_issued: dict[str, Issued]) -> None:
    from scoring.maturity.roadmap import recognition_levels

    data = data_of(reports_issued["wujin"].row)
    needs = recognition_levels()
    assert data.roadmap.steps
    # The Wujin roadmap reaches level 2 only: nothing that needs level 3 (provincial smart factory) is paid.
    paid = {line.target for line in data.roadmap.subsidy_lines if line.status == "paid"}
    assert not {t for t in paid if needs.get(t, 0) > data.roadmap.final_level}


def test_save_page_images(reports_issued: dict[str, Issued], tmp_path: Path) -> None:
    """A few pages as PNG in tests/artifacts/ (gitignored) for a reader to look at."""
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    pdf = tmp_path / "wujin.pdf"
    pdf.write_bytes(reports_issued["wujin"].row.pdf)
    pages = int(next(x.split()[-1] for x in run("pdfinfo", str(pdf)).splitlines() if x.startswith("Pages:")))
    for first, last in ((1, 2), (pages, pages)):  # cover and summary, signature page
        run(
            "pdftoppm",
            "-r",
            "50",
            "-png",
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf),
            str(artifacts / "report-wujin"),
        )
    assert len(sorted(artifacts.glob("report-wujin-*.png"))) >= 3
