"""The Chromium PDF engine: the same report text, header and footer (number, version, hash) as WeasyPrint's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reports.data import ReportData
from reports.render import render_pdf
from reports.store import FOOTER
from tests.reports.conftest import STAMP, run

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")


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
