"""The report's chapters in order, as data: the HTML body walks this list, and the PDF (printed from that HTML)
and the Word copy (built from the same HTML, `docx_report`) follow it, so a new chapter is one entry here plus
its template part under `templates/sections/`.

Each chapter is `<section class="chapter" id=…>` with its heading `<h2>` (the label `title` in
`labels.WORDS`, or `labels.SME_ONLY` for a report rating the SME digital level alone) and its part. The chapter
numbers are in the labels (the text cites 2.3, 3.3 …); `tests/reports/test_layout.py` checks that they run in
order for each kind of report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

When = Literal["always", "cmmm", "sme_only"]


@dataclass(frozen=True)
class Section:
    """One chapter: its HTML id, the label of its heading, its template part and which reports have it."""

    id: str
    title: str
    template: str
    when: When = "always"

    def shown(self, *, sme_only: bool) -> bool:
        """True when a report of this kind (CMMM, or the SME digital level alone) has the chapter."""
        return self.when == "always" or (self.when == "sme_only") == sme_only


# The cover comes first in every report (`_body.html`); the chapters follow in this order.
SECTIONS: tuple[Section, ...] = (
    Section("summary", "s1", "summary_sme.html", "sme_only"),
    Section("sme", "sme_chapter", "sme.html", "sme_only"),
    Section("summary", "s1", "summary.html", "cmmm"),
    Section("maturity", "s2", "maturity.html", "cmmm"),
    Section("evidence", "s3", "evidence.html"),
    Section("roadmap", "s4", "roadmap.html", "cmmm"),
    Section("subsidy", "s5", "subsidy.html", "cmmm"),
    Section("methodology", "s6", "methodology.html"),
    Section("appendix-a", "appendix_a", "appendix_a_sme.html", "sme_only"),
    Section("appendix-a", "appendix_a", "appendix_a.html", "cmmm"),
    Section("appendix-b", "appendix_b", "appendix_b.html", "cmmm"),
    Section("signatures", "s_sign", "signatures.html"),
)


def sections_for(*, sme_only: bool) -> tuple[Section, ...]:
    """The chapters of a CMMM report, or of a report rating the SME digital level alone, in order."""
    return tuple(s for s in SECTIONS if s.shown(sme_only=sme_only))
