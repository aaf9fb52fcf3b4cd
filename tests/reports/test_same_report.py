"""One report, three forms (issue #23): the draft is the issued report but for the watermark and the number;
the Word copy has every heading, table and chart of the PDF; and the PDF and Word text of every demo
diagnosis reads as a Chinese deliverable: no English words outside proper names and units, no raw floats, no
internal ids or file paths, no review notes."""

from __future__ import annotations

import difflib
import io
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, OrderStatus, Result
from reports import (
    assemble,
    data_of,
    issue_report,
    labels,
    render_body,
    render_docx,
    render_html,
    render_pdf,
    stamp_of,
)
from reports.synthetic import make_report
from tests.reports.conftest import STAMP
from tests.reports.test_deliverable import docx_text, pdf_text

PUBLIC_URL = "https://zhizhen.example.cn"
# Latin words a Chinese report may carry: standards, units, abbreviations every reader knows, and the
# demo's own proper names (device models, protocols, the order and report numbers' prefixes).
ALLOWED = {
    "GB", "T", "OEE", "TEEP", "SHA", "kWh", "QR", "PDF", "Word", "ZD", "R", "v", "h", "MQTT", "PLC", "CNC",
    "AGV", "ERP", "MES", "SCADA", "WMS", "PLM", "APS", "IT", "OT", "KPI", "IoT", "AI", "CAD", "CAPP", "QMS",
    "LIMS", "DCS", "SPC", "EMS", "BOM", "API", "HMI", "OPC", "UA", "Modbus", "TCP", "RFID", "PDA", "SN",
    "ID", "EAM", "TPM", "PDCA", "TMS", "LCA", "CRM", "SRM", "HSE", "BI", "CMMM", "https", "http", "www", "cn",
    "example", "zhizhen", "Noto", "Sans", "CJK", "SC", "USCC", "UTC", "kW", "m", "s", "min", "ISO", "TSN",
    "APC", "MRP", "PDM", "DCMM", "CMMI", "APP", "A", "AA", "AAA", "B", "S", "CPS", "DNC", "MOM", "LES",
    "SCM", "PHM", "VR", "AR", "NB", "LoRa", "WiFi", "Wi", "Fi", "SaaS", "PaaS", "IaaS", "EHS", "SOP", "ISA", "MBD",
}  # fmt: skip
# Codes, not words: anything with a digit in it (USCC 91320585MA000006X1, devices D01, 5G, requirement
# NW-L3-01) and the version tags the methodology prints so the score can be reproduced (cmmm-table-2024.1).
CODES = re.compile(
    r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*-[A-Za-z]*\d[\w-]*|[A-Za-z0-9]*\d[A-Za-z0-9]*|\b[a-z0-9]+(?:[-.][a-z0-9]+)*-\d[\w.-]*"
)
LATIN = re.compile(r"[A-Za-z]+")
RAW_FLOAT = re.compile(r"(?<![\d.,A-Za-z])\d+\.\d{3,}(?![\d])")  # 1.5483, 0.160: three or more decimals
RAW_RATING = re.compile(r"(自评|实测建议|实测支持|采用|改为)\s*[「(（]?\s*[01]\.\d")  # 自评 0.0
INTERNAL = re.compile(
    r"\.(json|py|txt|csv|yaml|toml)\b|scoring/|reports/|diagnose/|\b[a-z]+_[a-z_]+\b|result_id|clause_id"
)
REVIEW_NOTES = ("须复核", "矛盾", "CONTRADICTION", "待诊断人员核对", "保留评估评分")


def _latin_words(text: str) -> set[str]:
    hashes = re.sub(r"\b[0-9a-f]{16,64}\b", " ", text)  # content hashes are hex, not words
    links = re.sub(r"https?://\S+", " ", hashes)
    links = CODES.sub(" ", re.sub(r"\b[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}[\w.-]*", " ", links))
    return {w for w in LATIN.findall(links) if w not in ALLOWED}


def _check(name: str, text: str, *, allow: set[str]) -> list[str]:
    flat = " ".join(text.split())
    problems = []
    english = _latin_words(flat) - allow
    if english:
        problems.append(f"{name}: English words {sorted(english)[:12]}")
    for pattern, what in ((RAW_FLOAT, "raw float"), (RAW_RATING, "raw rating"), (INTERNAL, "internal id")):
        found = [m.group(0) for m in pattern.finditer(re.sub(r"https?://\S+", " ", flat))]
        if found:
            problems.append(f"{name}: {what} {found[:5]}")
    notes = [n for n in REVIEW_NOTES if n in flat]
    if notes:
        problems.append(f"{name}: review notes {notes}")
    return problems


@dataclass(frozen=True)
class Rendered:
    name: str
    pdf: str
    docx: str
    allow: set[str]


# Every demo diagnosis issued and rendered (PDF and Word), and reports rendered twice: minutes on the test machine.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    copy = tmp_path_factory.mktemp("same-report") / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def every_demo_report(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> list[Rendered]:
    """Every scored demo diagnosis: issued (PDF and Word) when submitted or accepted, else its draft."""
    folder = tmp_path_factory.mktemp("texts")
    out = []
    with Session(engine, expire_on_commit=False) as session:
        scored = sorted(set(session.exec(select(Result.order_id)).all()))
        assert len(scored) >= 4
        for order_id in scored:
            order = session.get(DiagnosisOrder, order_id)
            assert order is not None
            if order.status in (OrderStatus.submitted, OrderStatus.accepted):
                row = issue_report(session=session, order=order, actor="system:test", public_url=PUBLIC_URL)
                data, stamp, pdf = data_of(row), stamp_of(row), row.pdf
            else:
                data = assemble(session=session, order=order, public_url=PUBLIC_URL, draft=True)
                stamp, pdf = None, render_pdf(data, "zh")
            # Names as recorded are proper names: the devices' and parties' own words may be Latin.
            names = " ".join(
                [d.external_id + " " + d.name for d in data.evidence.devices]
                + [line[0] + " " + line[1] for line in data.evidence.networking_lines]
                + [data.cover.enterprise_name, data.cover.provider_name, data.cover.order_number]
                + [a.filename for a in data.attachments]
            )
            allow = set(LATIN.findall(names))
            out.append(
                Rendered(
                    order.number,
                    pdf_text(pdf, folder, order.number),
                    docx_text(render_docx(data, "zh", stamp)),
                    allow,
                )
            )
        session.commit()
    return out


def test_every_demo_report_reads_as_a_chinese_deliverable(every_demo_report: list[Rendered]) -> None:
    problems = []
    for report in every_demo_report:
        problems += _check(f"{report.name}.pdf", report.pdf, allow=report.allow)
        problems += _check(f"{report.name}.docx", report.docx, allow=report.allow)
    assert not problems, "\n".join(problems)


def test_ratings_and_scores_are_words_and_two_decimals(every_demo_report: list[Rendered]) -> None:
    for report in every_demo_report:
        flat = "".join(report.pdf.split())
        assert "适用等级平均" in flat and "不宜据此比较强弱" in flat, report.name  # the column is defined
        assert re.search(r"总分S.{0,40}?\d+\.\d{2}(?!\d)", flat), report.name
        assert "部分满足" in flat or "大部分满足" in flat or "全部满足" in flat, report.name


def test_the_checks_table_states_each_decision(every_demo_report: list[Rendered]) -> None:
    decided = [r for r in every_demo_report if "核对结论" in r.pdf]
    assert decided  # the demo's consultants decided contradictions before submitting
    for report in decided:
        flat = "".join(report.pdf.split())
        assert "保留自评" in flat or "改为「" in flat, report.name


def _headings(html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(html)
    return [" ".join(h.text_content().split()) for h in root.iter("h1", "h2", "h3")]


def test_word_copy_has_every_heading_table_and_chart_of_the_pdf() -> None:
    import docx

    data = make_report(devices=45)  # three timeline charts
    from dataclasses import replace

    data = replace(data, verify_base_url=PUBLIC_URL)
    html = str(render_body(data, "zh", STAMP))
    document = docx.Document(io.BytesIO(render_docx(data, "zh", STAMP)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == _headings(html)
    assert "3.2 设备状态时间线" in headings and "3.3 自评与实测核对" in headings
    root = lxml.html.fragment_fromstring(html)
    images = len(list(root.iter("img")))  # the charts and the two QR codes
    assert images >= 10
    assert len(document.inline_shapes) == images
    assert len(document.tables) == len(list(root.iter("table")))


def test_issuing_changes_only_the_watermark_and_the_number(tmp_path: Path) -> None:
    from dataclasses import replace

    data = replace(make_report(devices=6), verify_base_url=PUBLIC_URL)
    draft = pdf_text(render_pdf(data, "zh", None, pdf_engine="weasyprint"), tmp_path, "draft")
    issued = pdf_text(render_pdf(data, "zh", STAMP, pdf_engine="weasyprint"), tmp_path, "issued")
    assert "草稿" in draft and "草稿" not in issued
    words = labels.WORDS["zh"]
    issued_at = "2026-11-2416:00"  # STAMP's time in Beijing, as printed (spaces dropped)
    link = f"zhizhen.example.cn/v/{STAMP.report_number}-v{STAMP.version}/{STAMP.content_sha256[:16]}"
    stamp_only = (
        words["draft"], words["draft_number"], words["verify_title"], words["verify_hint"], link,
        words["report_number"], words["issued_at"],
        STAMP.content_sha256, STAMP.report_number, issued_at, "2026-11-24", "SHA-256:", f"v{STAMP.version}",
        "草", "稿", "—", "·",
    )  # fmt: skip

    def rest(text: str) -> str:
        flat = "".join(text.split())
        for word in stamp_only:
            flat = flat.replace("".join(word.split()), "")
        return flat

    # The printed HTML, in reading order: equal once the stamp's words are taken out.
    html_draft = lxml.html.document_fromstring(render_html(data, "zh")).text_content()
    html_issued = lxml.html.document_fromstring(render_html(data, "zh", STAMP)).text_content()
    a, b = rest(html_draft), rest(html_issued)
    if a != b:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        changes = [(a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
        pytest.fail(f"the draft and the issued report differ beyond the stamp: {changes[:8]}")
    # The PDFs: as many pages, and every character that differs is one of the stamp's.
    assert draft.count("\f") == issued.count("\f")
    extra = (Counter(rest(draft)) - Counter(rest(issued))) + (Counter(rest(issued)) - Counter(rest(draft)))
    stamp_chars = set("".join(stamp_only)) | set("0123456789abcdef-/:·v")
    assert set(extra) <= stamp_chars, sorted(set(extra) - stamp_chars)
    # And the page body is the same HTML but for the stamp: the same renderer, the same data.
    body_draft, body_issued = str(render_body(data, "zh")), str(render_body(data, "zh", STAMP))
    assert _headings(body_draft) == _headings(body_issued)
