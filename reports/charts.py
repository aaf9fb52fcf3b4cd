"""Vector charts (SVG <img> tags, text kept as text) for the report: level scores, radar, bars, OEE, state timelines."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import io
import math
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from reports.data import DeviceEvidence, Evidence, NodeRow, Summary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT = "Noto Sans CJK SC"
STATE_COLOURS = {
    "RUN": "#2e7d32",
    "IDLE": "#f9a825",
    "DOWN": "#c62828",
    "PLANNED_STOP": "#5c6bc0",
    "OFF": "#9e9e9e",
    "UNKNOWN": "#e0e0e0",
}
SERIES = ("#1f4e79", "#2e86c1", "#85c1e9", "#f39c12", "#c0392b")
RC = {
    # Text stays text in the SVG, so WeasyPrint draws it with the embedded Noto CJK font.
    "svg.fonttype": "none",
    "svg.hashsalt": "diagnose-report",  # stable element ids: same data, same SVG
    "font.family": [FONT, "sans-serif"],
    "font.size": 8,
    "text.parse_math": False,  # a '$' in a device name is text, not TeX
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#888888",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.5,
}
LABELS = {
    "zh": {
        "level": "{}级",
        "threshold": "达标线 0.8",
        "score": "得分",
        "states": {
            "RUN": "运行",
            "IDLE": "空闲",
            "DOWN": "故障停机",
            "PLANNED_STOP": "计划停机",
            "OFF": "关机",
            "UNKNOWN": "无数据",
        },
        "hours": "自窗口开始的小时数",
        "short": "数据不足",
        "status": {"insufficient": "数据不足", "out_of_bounds": "越界", "unavailable": "无数据"},
        "indicators": ("联网率", "采集覆盖率", "时间开动率", "性能开动率", "合格品率", "OEE", "利用率"),
    },
    "en": {
        "level": "L{}",
        "threshold": "pass line 0.8",
        "score": "score",
        "states": {
            "RUN": "Run",
            "IDLE": "Idle",
            "DOWN": "Down",
            "PLANNED_STOP": "Planned stop",
            "OFF": "Off",
            "UNKNOWN": "No data",
        },
        "hours": "hours from window start",
        "short": "too little data",
        "status": {
            "insufficient": "too little data",
            "out_of_bounds": "out of bounds",
            "unavailable": "no data",
        },
        "indicators": (
            "Networking",
            "Coverage",
            "Availability",
            "Performance",
            "Quality",
            "OEE",
            "Utilisation",
        ),
    },
}


# Resolution of the parts of a chart drawn as an image inside its SVG (the timelines' bars, see timeline()).
RASTER_DPI = 200


# matplotlib's settings are one global: `rc_context` sets them and, on leaving, puts back the defaults. Two
# threads drawing at once (report jobs, a web worker's threads drawing drafts) had one thread's exit restore
# DejaVu Sans under the other's text: Chinese labels drawn as missing glyphs. Charts are drawn one at a time.
_DRAWING = threading.RLock()


@contextlib.contextmanager
def _rc() -> Iterator[None]:
    """matplotlib's settings for the report's charts, held by this thread until the block ends; matplotlib is
    imported by the first chart drawn, not by every process that imports the reports package (the web workers
    draw none until a report is rendered)."""
    import matplotlib

    with _DRAWING:
        matplotlib.use("Agg")  # no display: charts are written to SVG strings only
        with matplotlib.rc_context(RC):
            yield


_PNG: contextvars.ContextVar[bool] = contextvars.ContextVar("report_charts_png", default=False)
PNG_DPI = 150


@contextlib.contextmanager
def as_png() -> Iterator[None]:
    """Within this block charts come out as PNG images (for the Word copy: Word draws no SVG of its own)."""
    token = _PNG.set(True)
    try:
        yield
    finally:
        _PNG.reset(token)


def _svg(fig: Figure) -> str:
    if _PNG.get():
        raw = io.BytesIO()
        with _rc():
            fig.savefig(raw, format="png", bbox_inches="tight", dpi=PNG_DPI)
        encoded = base64.b64encode(raw.getvalue()).decode("ascii")
        return f'<img class="png-chart" alt="" src="data:image/png;base64,{encoded}">'
    buffer = io.StringIO()
    with _rc():
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", dpi=RASTER_DPI)
    # An <img> of a data: URI keeps each chart's element ids and styles to itself (inline SVGs would clash).
    encoded = base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    return f'<img class="svg-chart" alt="" src="data:image/svg+xml;base64,{encoded}">'


def svg_source(img_tag: str) -> str:
    """The SVG document inside a chart's <img> tag (for tests and checks)."""
    encoded = img_tag.split("base64,", 1)[1].split('"', 1)[0]
    return base64.b64decode(encoded).decode("utf-8")


def _figure(width_in: float, height_in: float, **kwargs: object) -> Figure:
    from matplotlib.figure import Figure

    with _rc():
        return Figure(figsize=(width_in, height_in), **kwargs)  # type: ignore[arg-type]


def _name(node: NodeRow, lang: str) -> str:
    return node.name_zh if lang == "zh" else node.name_en


def level_scores(summary: Summary, lang: str) -> str:
    """Bar chart of the level scores L1..L5 with the 0.8 pass line (GB/T 39117 cumulative rule)."""
    labels = LABELS[lang]
    with _rc():
        fig = _figure(3.4, 2.1)
        ax = fig.add_subplot()
        names = [labels["level"].format(i) for i in range(1, 6)]
        ax.bar(names, summary.level_scores, color=SERIES[1], width=0.6)
        ax.axhline(0.8, color=SERIES[4], linestyle="--", linewidth=0.8, label=labels["threshold"])
        ax.set_ylim(0, 1.05)
        for x, value in enumerate(summary.level_scores):
            ax.text(x, value + 0.02, f"{value:.2f}", ha="center", fontsize=7)
        ax.legend(loc="upper right", frameon=False, fontsize=7)
        return _svg(fig)


def radar(domains: Sequence[NodeRow], levels: Sequence[int], lang: str) -> str:
    """Radar of the domains' scores at the given levels (one polygon per level)."""
    labels = LABELS[lang]
    with _rc():
        fig = _figure(4.6, 4.0)
        ax = fig.add_subplot(projection="polar")
        count = max(1, len(domains))
        angles = [2 * math.pi * i / count for i in range(count)]
        for colour, level in zip(SERIES, levels, strict=False):
            values = [d.by_level[level - 1] or 0.0 for d in domains]
            ax.plot([*angles, angles[0]], [*values, values[0]], color=colour, linewidth=1.2)
            ax.fill([*angles, angles[0]], [*values, values[0]], color=colour, alpha=0.12)
            ax.plot([], [], color=colour, label=labels["level"].format(level))
        ax.set_xticks(angles)
        ax.set_xticklabels([_name(d, lang) for d in domains], fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_yticks([0.2, 0.4, 0.6, 0.8, 1.0])
        ax.set_yticklabels(["20%", "40%", "60%", "80%", "100%"], fontsize=6)  # shares met, as the tables
        ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), frameon=False, fontsize=7)
        return _svg(fig)


def grouped_bars(nodes: Sequence[NodeRow], levels: Sequence[int], lang: str) -> str:
    """Horizontal grouped bars: each node's score at each of the given levels."""
    labels = LABELS[lang]
    with _rc():
        height = 0.6 + 0.28 * len(nodes) * max(1, len(levels)) ** 0.5
        fig = _figure(6.3, height)
        ax = fig.add_subplot()
        band = 0.8 / max(1, len(levels))
        for offset, (colour, level) in enumerate(zip(SERIES, levels, strict=False)):
            ys = [i + offset * band for i in range(len(nodes))]
            values = [n.by_level[level - 1] or 0.0 for n in nodes]
            ax.barh(ys, values, height=band * 0.9, color=colour, label=labels["level"].format(level))
        ax.set_yticks([i + 0.4 - band / 2 for i in range(len(nodes))])
        ax.set_yticklabels([_name(n, lang) for n in nodes])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.set_xticklabels(["0%", "20%", "40%", "60%", "80%", "100%"])  # shares met, as the tables say them
        ax.axvline(0.8, color=SERIES[4], linestyle="--", linewidth=0.8)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7, ncols=len(levels))
        return _svg(fig)


def indicators(evidence: Evidence, lang: str) -> str:
    """Plant indicators as bars: networking, coverage, availability, performance, quality, OEE, utilisation.

    From the evidence snapshot's figures: a figure that is not ok has no bar and is labelled with its status
    (数据不足 / 越界 / 无数据), as in the table beside it."""
    labels = LABELS[lang]
    if evidence.figures:
        shown = {f.name: f for f in evidence.figures}
        names = (
            "networking_rate",
            "coverage",
            "availability",
            "performance",
            "quality",
            "oee",
            "utilisation",
        )
        figures = [shown[n] for n in names]
        with _rc():
            fig = _figure(6.3, 2.2)
            ax = fig.add_subplot()
            colours = [SERIES[0]] * 2 + [SERIES[1]] * 3 + [SERIES[3], SERIES[2]]
            heights = [f.value if f.status == "ok" and f.value is not None else 0.0 for f in figures]
            ax.bar(labels["indicators"], heights, color=colours, width=0.6)
            for x, f in enumerate(figures):
                ok = f.status == "ok" and f.value is not None
                text = f"{(f.value or 0.0) * 100:.1f}%" if ok else labels["status"].get(f.status, "—")
                ax.text(x, heights[x] + 0.02, text, ha="center", fontsize=7)
            ax.set_ylim(0, 1.1)
            return _svg(fig)
    values = (
        evidence.networking_rate,
        evidence.coverage,
        evidence.availability,
        evidence.performance,
        evidence.quality,
        # Below the OEE rule's minimum planned time the figure is not shown, as in the table beside it.
        None if evidence.oee_note else evidence.oee,
        evidence.utilisation,
    )
    with _rc():
        fig = _figure(6.3, 2.2)
        ax = fig.add_subplot()
        colours = [SERIES[0]] * 2 + [SERIES[1]] * 3 + [SERIES[3], SERIES[2]]
        ax.bar(labels["indicators"], [v or 0.0 for v in values], color=colours, width=0.6)
        for x, value in enumerate(values):
            short = x == 5 and evidence.oee_note is not None
            text = labels["short"] if short else "—" if value is None else f"{value * 100:.1f}%"
            ax.text(x, (value or 0.0) + 0.02, text, ha="center", fontsize=7)
        ax.set_ylim(0, 1.1)
        return _svg(fig)


def timeline(devices: Sequence[DeviceEvidence], hours: float, lang: str) -> str:
    """State timeline of several devices over the evidence window, one row each."""
    from matplotlib.collections import PolyCollection

    labels = LABELS[lang]
    with _rc():
        fig = _figure(6.5, 0.8 + 0.3 * len(devices))
        ax = fig.add_subplot()
        # One collection for every bar of the chart, drawn as an image inside the SVG (labels, ticks and
        # legend stay text): a week of report-by-exception states is thousands of rectangles, which as
        # vectors made the timelines most of a 100-device report's PDF time. 200 dpi is sharp in print.
        boxes, colours = [], []
        for row, device in enumerate(devices):
            for seg in device.timeline:
                y0, y1 = row - 0.38, row + 0.38
                boxes.append(((seg.start_h, y0), (seg.start_h, y1), (seg.end_h, y1), (seg.end_h, y0)))
                colours.append(STATE_COLOURS.get(seg.state, "#000000"))
        ax.add_collection(PolyCollection(boxes, facecolors=colours, linewidths=0, rasterized=True))
        _timeline_frame(ax, devices, hours, labels)
        return _svg(fig)


def _timeline_frame(ax: Any, devices: Sequence[DeviceEvidence], hours: float, labels: dict[str, Any]) -> None:
    """A timeline's device rows, hour axis and state legend (whatever draws its bars)."""
    from matplotlib.patches import Patch

    ax.set_yticks(range(len(devices)))
    ax.set_yticklabels([f"{d.external_id} {d.name}"[:24] for d in devices], fontsize=6)
    ax.set_ylim(len(devices) - 0.5, -0.5)
    ax.set_xlim(0, hours)
    ax.set_xticks([h for h in range(0, int(hours) + 1, 24)])
    ax.set_xlabel(labels["hours"], fontsize=7)
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=c, label=labels["states"][s]) for s, c in STATE_COLOURS.items()]
    ax.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=6, frameon=False, fontsize=6
    )
