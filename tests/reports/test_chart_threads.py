"""Charts drawn from several threads at once keep the report's settings: matplotlib's settings are one global
that `rc_context` restores on exit, so a thread leaving its block put the defaults (DejaVu Sans, text drawn as
paths) under another thread's Chinese labels (CI: "Glyph … missing from font(s) DejaVu Sans")."""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor

from reports import charts
from reports.data import Summary, Text


def _draw(round_: int) -> list[str]:
    summary = Summary(2, Text("二级", "Level 2"), 1.9, (1.0, 0.9, 0.4, 0.1, 0.0), ())
    return [charts.svg_source(charts.level_scores(summary, "zh")) for _ in range(12)]


def _in_report_font(svg: str) -> bool:
    """Every text of the chart names the report's font first and stays text (not DejaVu glyph paths)."""
    families = re.findall(r"font-family: ([^;\"]*)", svg)
    return (
        bool(families)
        and all(f.startswith(f"'{charts.FONT}'") for f in families)
        and "DejaVuSans-" not in svg
    )


def test_charts_drawn_in_threads_keep_the_report_font() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: the race shows within a few charts
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            svgs = [svg for drawn in pool.map(_draw, range(4)) for svg in drawn]
    finally:
        sys.setswitchinterval(interval)
    wrong = [svg for svg in svgs if not _in_report_font(svg)]
    assert len(svgs) == 48 and not wrong, f"{len(wrong)} of {len(svgs)} charts lost the report's font"
