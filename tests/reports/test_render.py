"""Rendering: the PDF reads back (pdftotext), embeds Noto CJK only, rasterises; free text stays text."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from reports import charts
from reports.data import ReportData
from reports.render import chart_svgs, render_body, render_pdf
from reports.sections import yuan
from tests.reports.conftest import SCRIPT, STAMP, run
from tests.reports.test_layout import CMMM_ZH

# The whole module on one xdist worker: its PDF is rendered once, not on each worker it would spread to.
pytestmark = pytest.mark.xdist_group("render")


@pytest.fixture(scope="module")
def pdf_path(report_data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(render_pdf(report_data, "zh", STAMP))
    return path


@pytest.fixture(scope="module")
def pdf_text(pdf_path: Path) -> str:
    return run("pdftotext", "-enc", "UTF-8", str(pdf_path), "-")


@pytest.mark.parametrize(
    "heading",
    ["智能制造能力成熟度诊断报告", *CMMM_ZH, "三项关键发现"],  # every chapter of the layout, as printed
)
def test_pdf_has_chinese_headings(pdf_text: str, heading: str) -> None:
    assert heading in pdf_text


def test_pdf_has_level_subsidy_and_hash(pdf_text: str, report_data: ReportData) -> None:
    assert "2级 规范级" in pdf_text
    assert yuan(report_data.roadmap.subsidy_fen) in pdf_text
    assert f"SHA-256: {STAMP.content_sha256}" in pdf_text
    assert f"{STAMP.report_number} v{STAMP.version}" in pdf_text


def test_chart_text_is_text_in_the_pdf(pdf_text: str) -> None:
    # Chart labels (SVG <text>, svg.fonttype none) are drawn as text with the CJK font, not as paths.
    assert "达标线 0.8" in pdf_text and "计划停机" in pdf_text


@pytest.mark.slow
def test_every_font_is_embedded_noto_cjk(report_data: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "weasyprint.pdf"
    path.write_bytes(render_pdf(report_data, "zh", STAMP, pdf_engine="weasyprint"))
    rows = run("pdffonts", str(path)).splitlines()[2:]
    assert rows, "no fonts listed"
    for row in rows:
        assert "Noto" in row and "CJK" in row, row
        assert row.split()[-5] == "yes", f"not embedded: {row}"


def test_every_font_of_the_default_engine_is_embedded_with_its_text(pdf_path: Path) -> None:
    rows = run("pdffonts", str(pdf_path)).splitlines()[2:]
    assert rows
    for row in rows:
        emb, _sub, uni = row.split()[-5:-2]
        assert (emb, uni) == ("yes", "yes"), f"not embedded or not searchable: {row}"


@pytest.mark.slow
def test_pages_rasterise(pdf_path: Path, tmp_path: Path) -> None:
    pages = int(
        next(x.split()[-1] for x in run("pdfinfo", str(pdf_path)).splitlines() if x.startswith("Pages:"))
    )
    run("pdftoppm", "-r", "30", "-png", str(pdf_path), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages > 20
    assert all(image.stat().st_size > 1000 for image in images)


def test_script_note_prints_as_text_in_pdf(pdf_text: str) -> None:
    # The note column may wrap the tag across lines; the characters are all there, in order, as text.
    assert SCRIPT in "".join(pdf_text.split())


def test_script_note_is_escaped_in_html(report_data: ReportData) -> None:
    body = str(render_body(report_data, "zh", STAMP))
    assert html.escape(SCRIPT, quote=False) in body
    assert SCRIPT not in body


def test_device_name_with_markup_is_text_in_chart(report_data: ReportData) -> None:
    import dataclasses

    device = dataclasses.replace(report_data.evidence.devices[1], name="<b>$x$</b>")
    svg = charts.svg_source(charts.timeline([device], 168.0, "zh"))
    assert "&lt;b&gt;$x$&lt;/b&gt;" in svg and "<b>" not in svg


def test_charts_are_vector_with_text(report_data: ReportData) -> None:
    rendered = chart_svgs(report_data, "zh")
    svg = charts.svg_source(str(rendered["radar"]))
    assert svg.lstrip().startswith("<?xml") and "<image" not in svg
    assert "组织战略" in svg  # text kept as text


def test_english_variant(report_data: ReportData) -> None:
    body = str(render_body(report_data, "en", STAMP))
    assert "1 Summary" in body and "Three key findings" in body and "诊断摘要" not in body


def test_unknown_language_is_refused(report_data: ReportData) -> None:
    with pytest.raises(ValueError, match="language"):
        render_body(report_data, "fr")


def test_indicator_chart_says_too_little_data_for_oee_like_the_table(report_data: ReportData) -> None:
    import dataclasses

    from reports.data import Text

    short = dataclasses.replace(
        report_data.evidence, oee=0.843, oee_note=Text("数据不足：已采集 12.0 小时，需 24 小时", "too little")
    )
    svg = charts.svg_source(charts.indicators(short, "zh"))
    assert "数据不足" in svg and "84.3%" not in svg
    full = charts.svg_source(charts.indicators(dataclasses.replace(short, oee_note=None), "zh"))
    assert "84.3%" in full and "数据不足" not in full
