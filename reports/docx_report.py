"""The report as an editable Word document (python-docx): the same report, marked as a working copy.

Providers and bureaus edit and file Word documents; the DOCX is that working copy. Only the issued PDF is
the deliverable (its bytes are hashed and verifiable); every DOCX page says so in its header.

The Word copy is built from the very HTML the PDF is printed from (`render.render_body`), element by element:
every heading, paragraph, list, table and chart of the PDF is in it, in the same order (charts as PNG, Word
draws no SVG of its own), so the two can never drift apart (issue #23). That HTML walks the chapter list of
`reports/layout.py`, so the Word copy has the PDF's chapters in the same order (issue #25).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import lxml.html

from reports import charts, labels, verify_link
from reports.data import ReportData, Stamp

FONT = "Noto Sans CJK SC"


class _Writer:
    """A thin layer over python-docx: headings, paragraphs and tables in the report's font."""

    def __init__(self) -> None:
        import docx
        from docx.oxml.ns import qn
        from docx.shared import Pt

        self.doc = docx.Document()
        style = self.doc.styles["Normal"]
        style.font.name = FONT
        style.font.size = Pt(10)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), FONT)
        for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
            heading = self.doc.styles[name]
            heading.font.name = FONT
            heading.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(text, level=level)

    def para(self, text: str, *, bold: bool = False) -> None:
        paragraph = self.doc.add_paragraph()
        run = paragraph.add_run(text)
        run.bold = bold

    def table(self, header: Sequence[str] | None, rows: Sequence[Sequence[Any]]) -> None:
        columns = len(header) if header else max((len(r) for r in rows), default=1)
        table = self.doc.add_table(rows=0, cols=columns)
        table.style = "Table Grid"
        if header:
            cells = table.add_row().cells
            for cell, text in zip(cells, header, strict=True):
                cell.text = str(text)
                for run in cell.paragraphs[0].runs:
                    run.bold = True
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = "" if text is None else str(text)
        self.doc.add_paragraph()

    def page_break(self) -> None:
        self.doc.add_page_break()

    def header(self, text: str) -> None:
        section = self.doc.sections[0]
        section.header.paragraphs[0].text = text
        section.footer.paragraphs[0].text = text

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def render_docx(data: ReportData, lang: str, stamp: Stamp | None = None) -> bytes:
    """The report as DOCX bytes: every section, table and chart of the PDF, from the same HTML body."""
    from reports.render import render_body

    t = labels.WORDS[lang]
    w = _Writer()
    number = f"{stamp.report_number} v{stamp.version}" if stamp else t["draft"]
    w.header(f"{t['working_copy']} · {t['report_number']} {number}")
    w.para(t["working_copy"], bold=True)
    with charts.as_png():
        body = str(render_body(data, lang, stamp))
    qr = None
    if stamp is not None and data.verify_base_url:
        qr = verify_link.qr_png(
            verify_link.verify_url(
                data.verify_base_url, stamp.report_number, stamp.version, stamp.content_sha256
            )
        )
    root = lxml.html.fragment_fromstring(body)
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    _HtmlToDocx(w, qr).block(root)
    return w.save()


BLOCKS = {"div", "section", "p", "table", "ul", "ol", "h1", "h2", "h3", "img"}
HEADINGS = {"h1": 0, "h2": 1, "h3": 2}
CHART_WIDTH_CM = 16.0


def _text(element: Any) -> str:
    return " ".join(part.strip() for part in element.text_content().split("\n") if part.strip()).strip()


def _cell_text(element: Any) -> str:
    return "\n".join(part.strip() for part in element.text_content().split("\n") if part.strip())


class _HtmlToDocx:
    """Walks the report body's HTML and writes each block as Word does it."""

    def __init__(self, writer: _Writer, qr: bytes | None) -> None:
        self.w = writer
        self.qr = qr
        self.chapters = 0

    def block(self, element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        classes = set((element.get("class") or "").split())
        if tag in ("style", "colgroup", "script") or "watermark" in classes:
            return
        if tag in HEADINGS:
            self.w.doc.add_heading(_text(element), level=HEADINGS[tag])
        elif tag == "table":
            self.table(element)
        elif tag in ("ul", "ol"):
            style = "List Number" if tag == "ol" else "List Bullet"
            for item in element.findall("li"):
                self.w.doc.add_paragraph(_text(item), style=style)
        elif tag == "img":
            self.image(element)
        elif "kpi" in classes:
            label = element.find_class("label")
            value = element.find_class("value")
            paragraph = self.w.doc.add_paragraph()
            paragraph.add_run(f"{_text(label[0]) if label else ''}：")
            paragraph.add_run(_text(value[0]) if value else "").bold = True
        elif tag == "section" or any(isinstance(child.tag, str) and child.tag in BLOCKS for child in element):
            if tag == "section" and "chapter" in classes:
                self.w.page_break()  # each chapter starts a page, as in the PDF
            if element.text and element.text.strip():
                self.w.para(element.text.strip())
            for child in element:
                self.block(child)
                if child.tail and child.tail.strip():
                    self.w.para(child.tail.strip())
        else:
            text = _cell_text(element)
            if text:
                self.w.para(text, bold=tag == "b" or "ent" in classes)

    def image(self, element: Any) -> None:
        from docx.shared import Cm

        source = element.get("src") or ""
        if source.startswith("data:image/png;base64,"):
            picture = base64.b64decode(source.split(",", 1)[1])
            self.w.doc.add_picture(io.BytesIO(picture), width=Cm(CHART_WIDTH_CM))
        elif element.get("alt") == "QR" and self.qr is not None:
            self.w.doc.add_picture(io.BytesIO(self.qr), width=Cm(3))

    def table(self, element: Any) -> None:
        rows = [row for row in element.iter("tr")]
        if not rows:
            return
        width = max(sum(int(c.get("colspan") or 1) for c in row if c.tag in ("td", "th")) for row in rows)
        table = self.w.doc.add_table(rows=0, cols=max(width, 1))
        table.style = "Table Grid"
        for row in rows:
            cells = table.add_row().cells
            at = 0
            for cell in (c for c in row if c.tag in ("td", "th")):
                span = int(cell.get("colspan") or 1)
                target = cells[at]
                if span > 1:
                    target = target.merge(cells[min(at + span, width) - 1])
                target.text = _cell_text(cell)
                if cell.tag == "th":
                    for run in target.paragraphs[0].runs:
                        run.bold = True
                at += span
        self.w.doc.add_paragraph()
