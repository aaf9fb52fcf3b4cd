"""Benchmark: render a 100-device report (about 40 pages) to PDF; baseline = a 1-device report, same run."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from reports.data import Stamp
from reports.render import render_pdf
from reports.synthetic import make_report

STAMP = Stamp("R-ZD2026-02-0001", 1, "zh", "2026-11-24T08:00:00+00:00", "0" * 64)


def timed(devices: int) -> tuple[float, int, int]:
    """Seconds to build and render a report with `devices` devices, its page count and size."""
    start = time.perf_counter()
    pdf = render_pdf(make_report(devices=devices), "zh", STAMP)
    elapsed = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return elapsed, pages, len(pdf)


def main() -> None:
    """Render the warm-up, the baseline and the big report; print the figures and the ratio."""
    timed(1)  # warm-up: fonts, templates, matplotlib
    base_s, base_pages, base_bytes = timed(1)
    big_s, big_pages, big_bytes = timed(100)
    print(f"baseline   1 device : {base_s:6.2f} s, {base_pages:3d} pages, {base_bytes / 1e6:5.2f} MB")
    print(f"report   100 devices: {big_s:6.2f} s, {big_pages:3d} pages, {big_bytes / 1e6:5.2f} MB")
    print(f"ratio {big_s / base_s:.2f}× time for {big_pages / base_pages:.2f}× pages")


if __name__ == "__main__":
    main()
