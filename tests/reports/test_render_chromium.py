"""The Chromium PDF engine: the same report text, header and footer (number, version, hash) as WeasyPrint's."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from reports.data import ReportData
from reports.render import render_pdf
from reports.store import FOOTER
from tests.reports.conftest import STAMP, run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed"),
]


@pytest.fixture(scope="module")
def chromium_text(report_data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("chromium") / "report.pdf"
    path.write_bytes(render_pdf(report_data, "zh", STAMP, pdf_engine="chromium"))
    return run("pdftotext", "-enc", "UTF-8", str(path), "-")


def test_chromium_pdf_has_the_content_and_a_verifiable_footer(chromium_text: str) -> None:
    for heading in ("智能制造能力成熟度诊断报告", "1 诊断摘要", "附录 A 问卷答复与证据说明"):
        assert heading in chromium_text
    assert "达标线 0.8" in chromium_text  # chart labels stay text
    match = FOOTER.search(chromium_text)
    assert match is not None
    assert (match.group(1), int(match.group(2)), match.group(3)) == (
        STAMP.report_number,
        STAMP.version,
        STAMP.content_sha256,
    )


def test_unknown_engine_is_refused(report_data: ReportData) -> None:
    with pytest.raises(ValueError, match="unknown PDF engine"):
        render_pdf(report_data, "zh", STAMP, pdf_engine="latex")


def test_draft_footer_says_draft(report_data: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "draft.pdf"
    path.write_bytes(render_pdf(report_data, "zh", None, pdf_engine="chromium"))
    assert "草稿" in run("pdftotext", "-enc", "UTF-8", str(path), "-")


def test_one_browser_prints_for_every_thread(report_data: ReportData) -> None:
    """Reports printed from several threads at once all come out, through the one printer thread."""
    from concurrent.futures import ThreadPoolExecutor

    from reports import render

    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(pool.map(lambda _: render_pdf(report_data, "zh", STAMP, pdf_engine="chromium"), range(3)))
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs)
    printers = [t for t in threading.enumerate() if t.name == "chromium-pdf"]
    assert len(printers) == 1 and render._printer._thread is printers[0]


def test_auto_prints_with_weasyprint_where_chromium_is_missing(
    report_data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports import render

    monkeypatch.setattr(render, "chromium_available", lambda: False)
    path = tmp_path / "auto.pdf"
    path.write_bytes(render_pdf(report_data, "zh", STAMP, pdf_engine="auto"))
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(
        "CID Type 0C" in row for row in fonts
    )  # WeasyPrint's embedding, not Chromium's Type 3
