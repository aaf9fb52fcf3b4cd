"""Benchmark: render the 100-device report (about 40 pages) to PDF with today's renderer and the new ones.

The baseline is a copy of the renderer as it was before issue #13 (`baseline_pdf`: WeasyPrint's default
`write_pdf()`), measured in the same run, interleaved with the new engines so machine load hits all alike:
`weasyprint` (no font hinting) and `chromium` (headless Chromium's print-to-PDF; the browser is started once per thread and kept, as in the jobs process).
Target: the fastest new engine renders in at most a third of the baseline's time (median of the runs).
A 1-device report is printed too, as a size reference.

    python bench/report_bench.py [--devices 100] [--runs 2]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from unittest import mock

import matplotlib

from reports import charts
from reports.data import DeviceEvidence, ReportData, Stamp
from reports.render import render_html, render_pdf
from reports.synthetic import make_report

STAMP = Stamp("R-ZD2026-02-0001", 1, "zh", "2026-11-24T08:00:00+00:00", "0" * 64)


def _vector_timeline(devices: Sequence[DeviceEvidence], hours: float, lang: str) -> str:
    """The state timeline as it was before #13: every bar a vector rectangle (the bars as they were drawn;
    rows, axis and legend are the chart's own)."""
    labels = charts.LABELS[lang]
    with matplotlib.rc_context(charts.RC):
        fig = charts._figure(6.5, 0.8 + 0.3 * len(devices))
        ax = fig.add_subplot()
        for row, device in enumerate(devices):
            by_state: dict[str, list[tuple[float, float]]] = {}
            for seg in device.timeline:
                by_state.setdefault(seg.state, []).append((seg.start_h, seg.end_h - seg.start_h))
            for state, spans in by_state.items():
                colour = charts.STATE_COLOURS.get(state, "#000000")
                ax.broken_barh(spans, (row - 0.38, 0.76), facecolors=colour)
        charts._timeline_frame(ax, devices, hours, labels)
        return charts._svg(fig)


def baseline_pdf(data: ReportData, lang: str, stamp: Stamp) -> bytes:
    """Today's renderer (before #13), kept here as the baseline: vector SVG charts (the timelines' bars
    included), WeasyPrint defaults."""
    import weasyprint

    with mock.patch.object(charts, "timeline", _vector_timeline):
        html = render_html(data, lang, stamp)
    return bytes(weasyprint.HTML(string=html).write_pdf() or b"")


def pages_of(pdf: bytes) -> int:
    """Page count (pdfinfo)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def timed(render: Callable[[], bytes]) -> tuple[float, bytes]:
    """Wall seconds of one render, and its bytes."""
    start = time.perf_counter()
    pdf = render()
    return time.perf_counter() - start, pdf


def main() -> None:
    """Warm up, then render each engine `runs` times in turn; print medians, pages, sizes and ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="no warm-up, no reference render (the suite's check)"
    )
    args = parser.parse_args()
    if shutil.which("pdfinfo") is None:
        sys.exit("report_bench needs pdfinfo (poppler-utils)")
    engines: dict[str, Callable[[ReportData], bytes]] = {
        "baseline (today)": lambda d: baseline_pdf(d, "zh", STAMP),
        "weasyprint": lambda d: render_pdf(d, "zh", STAMP, pdf_engine="weasyprint"),
    }
    if shutil.which("chromium"):
        engines["chromium"] = lambda d: render_pdf(d, "zh", STAMP, pdf_engine="chromium")
    else:
        print("chromium: not installed — skipped")
    small = make_report(devices=1)
    if args.quick:
        print("quick run: no warm-up and no 1-device reference (first renders include start-up costs)")
    else:
        for render in engines.values():
            render(small)  # warm-up: fonts, templates, matplotlib, the browser binary
    big = make_report(devices=args.devices)
    times: dict[str, list[float]] = {name: [] for name in engines}
    outputs: dict[str, bytes] = {}
    for _ in range(args.runs):
        for name, render in engines.items():
            seconds, outputs[name] = timed(lambda render=render: render(big))  # type: ignore[misc]
            times[name].append(seconds)
    if not args.quick:
        one_s, one_pdf = timed(lambda: baseline_pdf(small, "zh", STAMP))
        print(f"reference  1 device, baseline: {one_s:6.2f} s, {pages_of(one_pdf):3d} pages")
    base = statistics.median(times["baseline (today)"])
    for name in engines:
        median = statistics.median(times[name])
        pdf = outputs[name]
        print(
            f"{name:18} {args.devices} devices: {median:6.2f} s (runs {', '.join(f'{t:.2f}' for t in times[name])}), "
            f"{pages_of(pdf):3d} pages, {len(pdf) / 1e6:5.2f} MB, {median / base:5.2f}× baseline"
        )
    best = min((statistics.median(times[n]), n) for n in engines if n != "baseline (today)")
    verdict = "PASS" if best[0] <= base / 3 else "FAIL"
    print(f"fastest new engine: {best[1]}, {best[0] / base:.2f}× baseline (target ≤ 0.33): {verdict}")


if __name__ == "__main__":
    main()
