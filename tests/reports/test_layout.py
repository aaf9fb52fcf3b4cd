"""One report layout (issue #25, point 5): the PDF's HTML and the Word copy list the chapters of
`reports/layout.py`, in its order, for a CMMM report and one rating the SME digital level alone; a chapter
added to the list appears in both."""

from __future__ import annotations

import dataclasses
import io
import re

import docx
import lxml.html
import pytest
from jinja2 import ChoiceLoader, DictLoader, Environment, PackageLoader, select_autoescape

from reports import labels, layout, render
from reports.data import ReportData
from reports.docx_report import render_docx
from reports.synthetic import make_report, make_sme_only_report
from tests.reports.conftest import STAMP

CMMM_ZH = [
    "1 诊断摘要",
    "2 成熟度评估",
    "3 实测证据",
    "4 差距与改进路线",
    "5 补贴测算（逐条款）",
    "6 方法说明",
    "附录 A 问卷答复与证据说明",
    "附录 B 未纳入测算的政策条款",
    "签署页",
]
SME_ONLY_ZH = ["1 评测摘要", "2 数字化水平评测", "3 实测证据", "4 方法说明", "附录 A 评测答卷", "签署页"]


@pytest.fixture(scope="module")
def reports() -> dict[str, ReportData]:
    return {"cmmm": make_report(devices=4), "sme_only": make_sme_only_report(devices=4)}


def pdf_headings(data: ReportData, lang: str) -> list[str]:
    """The chapter headings of the HTML document the PDF is printed from, in order."""
    root = lxml.html.document_fromstring(render.render_html(data, lang, STAMP))
    return [h.text_content().strip() for h in root.xpath("//section[contains(@class, 'chapter')]/h2")]


def word_headings(data: ReportData, lang: str) -> list[str]:
    """The Word copy's chapter headings (Heading 1), in order."""
    document = docx.Document(io.BytesIO(render_docx(data, lang, STAMP)))
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]


def layout_headings(data: ReportData, lang: str) -> list[str]:
    sme_only = data.summary is None
    words = labels.words_for(sme_only, lang)
    return [words[s.title] for s in layout.sections_for(sme_only=sme_only)]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["cmmm", "sme_only"])
def test_the_pdf_and_the_word_copy_list_the_layouts_chapters_in_order(
    reports: dict[str, ReportData], kind: str, lang: str
) -> None:
    data = reports[kind]
    expected = layout_headings(data, lang)
    assert pdf_headings(data, lang) == expected
    assert word_headings(data, lang) == expected


@pytest.mark.parametrize(("kind", "headings"), [("cmmm", CMMM_ZH), ("sme_only", SME_ONLY_ZH)])
def test_the_chapters_are_those_issued_before_the_layout_was_data(
    reports: dict[str, ReportData], kind: str, headings: list[str]
) -> None:
    assert layout_headings(reports[kind], "zh") == headings


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("sme_only", [False, True])
def test_chapter_numbers_and_appendix_letters_run_in_order(sme_only: bool, lang: str) -> None:
    words = labels.words_for(sme_only, lang)
    titles = [words[s.title] for s in layout.sections_for(sme_only=sme_only)]
    numbers = [int(m.group(1)) for t in titles if (m := re.match(r"(\d+) ", t))]
    letters = [m.group(1) for t in titles if (m := re.search(r"(?:附录|Appendix) ([A-Z]) ", t))]
    assert numbers == list(range(1, len(numbers) + 1))
    assert letters == [chr(ord("A") + i) for i in range(len(letters))]


def test_every_template_part_of_the_layout_exists() -> None:
    environment = render._environment()
    for section in layout.SECTIONS:
        environment.get_template(f"sections/{section.template}")  # raises TemplateNotFound


@pytest.mark.parametrize("kind", ["cmmm", "sme_only"])
def test_a_chapter_added_to_the_layout_appears_in_the_pdf_and_the_word_copy(
    reports: dict[str, ReportData], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = layout.Section("extra", "s_extra", "extra.html")
    at = [s.id for s in layout.SECTIONS].index("methodology")
    monkeypatch.setattr(layout, "SECTIONS", (*layout.SECTIONS[:at], extra, *layout.SECTIONS[at:]))
    monkeypatch.setitem(labels.WORDS["zh"], "s_extra", "附加章节")
    environment = Environment(
        loader=ChoiceLoader(
            [
                DictLoader({"sections/extra.html": "\n  <p>附加章节的正文</p>"}),
                PackageLoader("reports", "templates"),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    monkeypatch.setattr(render, "_environment", lambda: environment)
    data = reports[kind]

    pdf, word = pdf_headings(data, "zh"), word_headings(data, "zh")

    assert pdf == word
    assert pdf.index("附加章节") == pdf.index(labels.words_for(kind == "sme_only", "zh")["s6"]) - 1
    html = render.render_html(data, "zh", STAMP)
    assert '<section class="chapter" id="extra">' in html and "附加章节的正文" in html
    document = docx.Document(io.BytesIO(render_docx(data, "zh", STAMP)))
    assert "附加章节的正文" in [p.text for p in document.paragraphs]


def test_a_report_without_cmmm_parts_has_no_cmmm_chapter(reports: dict[str, ReportData]) -> None:
    html = render.render_body(dataclasses.replace(reports["sme_only"]), "zh")
    ids = re.findall(r'<section class="chapter" id="([^"]+)"', str(html))
    assert ids == [s.id for s in layout.sections_for(sme_only=True)]
    assert "roadmap" not in ids and "subsidy" not in ids
