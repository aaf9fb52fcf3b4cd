"""Render ReportData to HTML (autoescaped Jinja) and to PDF (WeasyPrint, embedded Noto CJK fonts)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from reports import charts, labels, policy, sections, verify_link
from reports.data import ReportData, Stamp, Text
from scoring.china_time import CHINA_TZ

TIMELINE_ROWS = 20  # devices per timeline chart: keeps each chart on one page


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescape everything: evidence notes, names and file names are free text (escaped, never markup).
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=False,
    )
    return env


@lru_cache(maxsize=1)
def _css() -> str:
    return (resources.files("reports") / "templates" / "report.css").read_text(encoding="utf-8")


def check_lang(lang: str) -> str:
    """The language if the report has it; ValueError otherwise."""
    if lang not in labels.LANGS:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(labels.LANGS)}")
    return lang


def chart_svgs(data: ReportData, lang: str) -> dict[str, Any]:
    """Every chart of the report as inline SVG markup."""
    focus = min(data.summary.level + 1, 5)
    levels = list(range(1, focus + 1))
    reporting = [d for d in data.evidence.devices if d.timeline]
    return {
        "level_scores": Markup(charts.level_scores(data.summary, lang)),
        "elements": Markup(charts.grouped_bars(data.elements, levels, lang)),
        "radar": Markup(charts.radar(data.domains, levels, lang)),
        "subdomains": Markup(charts.grouped_bars(data.subdomains, levels, lang)),
        "indicators": Markup(charts.indicators(data.evidence, lang)),
        "timelines": [
            Markup(charts.timeline(reporting[i : i + TIMELINE_ROWS], data.evidence.window_hours, lang))
            for i in range(0, len(reporting), TIMELINE_ROWS)
        ],
    }


def _issued_local(stamp: Stamp | None) -> str:
    if stamp is None:
        return ""
    return datetime.fromisoformat(stamp.issued_at).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _context(data: ReportData, lang: str, stamp: Stamp | None) -> dict[str, Any]:
    words = labels.WORDS[lang]

    def tx(text: Text) -> str:
        return text.zh if lang == "zh" else text.en

    def score3(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    lines = data.roadmap.subsidy_lines
    verify = None
    if stamp is not None and data.verify_base_url:
        url = verify_link.verify_url(
            data.verify_base_url, stamp.report_number, stamp.version, stamp.content_sha256
        )
        verify = {"url": url, "short": url.split("://", 1)[-1], "qr": verify_link.qr_data_uri(url)}
    return {
        **labels.helpers(lang),
        "verify": verify,
        "issued_day": _issued_local(stamp)[:10],
        "data": data,
        "lang": lang,
        "stamp": stamp,
        "issued_local": _issued_local(stamp),
        "t": words,
        "tx": tx,
        "pct": sections.pct,
        "yuan": sections.yuan,
        "score3": score3,
        "lvl": lambda level: charts.LABELS[lang]["level"].format(level),
        "status": lambda s: labels.STATUS[lang].get(s, s),
        "rating": lambda r: f"{labels.RATING[lang].get(r, r)} ({r})" if r else labels.RATING[lang][""],
        "kind": lambda k: labels.KIND[lang].get(k, k),
        "scale": lambda k: labels.SCALE[lang].get(k, k),
        "applicable": [line for line in lines if policy.in_main(line)],
        "not_eligible": [line for line in lines if not policy.in_main(line)],
        "appendix": policy.appendix_rows([line for line in lines if not policy.in_main(line)], lang),
        "method": [
            p.format(days=data.methodology.evidence_window_days, timeout=data.methodology.silence_timeout_s)
            for p in labels.METHOD[lang]
        ],
    }


def render_body(data: ReportData, lang: str, stamp: Stamp | None = None) -> Markup:
    """The report's content as an HTML fragment (`<div class="report">`) for the web page."""
    context = _context(data, check_lang(lang), stamp)
    context["charts"] = chart_svgs(data, lang)
    return Markup(_environment().get_template("_body.html").render(context))


def report_css() -> str:
    """The report's stylesheet (screen and print share it)."""
    return _css()


def render_html(data: ReportData, lang: str, stamp: Stamp | None = None) -> str:
    """A standalone HTML document of the report, with print rules for pages, header and footer."""
    body = render_body(data, lang, stamp)
    context = _context(data, lang, stamp)
    return _environment().get_template("report.html").render(context, body=body, css=Markup(_css()))


def render_pdf(data: ReportData, lang: str, stamp: Stamp | None = None) -> bytes:
    """The report as PDF bytes (WeasyPrint; fonts are subset and embedded)."""
    import weasyprint

    document = weasyprint.HTML(string=render_html(data, lang, stamp))
    return bytes(document.write_pdf() or b"")
