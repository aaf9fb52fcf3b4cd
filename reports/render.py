"""Render ReportData to HTML (autoescaped Jinja) and to PDF (WeasyPrint, embedded Noto CJK fonts)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import shutil
import threading
from concurrent.futures import Future
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from reports import charts, labels, layout, policy, sections, verify_link
from reports.data import ReportData, Stamp, Text
from scoring.china_time import CHINA_TZ

_log = logging.getLogger(__name__)
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
    """Every chart of the report as inline SVG markup (an SME-only report has no maturity charts)."""
    reporting = [d for d in data.evidence.devices if d.timeline]
    maturity: dict[str, Any] = {}
    if data.summary is not None:
        levels = list(range(1, min(data.summary.level + 1, 5) + 1))
        maturity = {
            "level_scores": Markup(charts.level_scores(data.summary, lang)),
            "elements": Markup(charts.grouped_bars(data.elements, levels, lang)),
            "radar": Markup(charts.radar(data.domains, levels, lang)),
            "subdomains": Markup(charts.grouped_bars(data.subdomains, levels, lang)),
        }
    return {
        **maturity,
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
    sme_only = data.summary is None
    words = labels.words_for(sme_only, lang)

    def tx(text: Text) -> str:
        return text.zh if lang == "zh" else text.en

    def score3(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    lines = data.roadmap.subsidy_lines if data.roadmap is not None else ()
    if data.methodology is not None:
        days, timeout, method = (
            data.methodology.evidence_window_days, data.methodology.silence_timeout_s, labels.METHOD[lang]
        )  # fmt: skip
    else:
        shown = data.sme
        days, timeout = (shown.evidence_days, shown.silence_timeout_s) if shown is not None else (0, 0.0)
        method = labels.SME_METHOD[lang]
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
        "rating": lambda r: labels.RATING[lang].get(r, r) if r else labels.RATING[lang][""],
        "kind": lambda k: labels.KIND[lang].get(k, k),
        "scale": lambda k: labels.SCALE[lang].get(k, k),
        "applicable": [line for line in lines if policy.in_main(line)],
        "not_eligible": [line for line in lines if not policy.in_main(line)],
        "appendix": policy.appendix_rows([line for line in lines if not policy.in_main(line)], lang),
        "sme_only": sme_only,
        "sections": layout.sections_for(sme_only=sme_only),
        "method": [p.format(days=days, timeout=timeout) for p in method],
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


PDF_ENGINES = ("auto", "weasyprint", "chromium")
# Chromium has no CSS running elements or string-set: the header and footer come from its print templates,
# with the same text as report.html's running footer (pdftotext finds the number, version and hash there).
_CHROMIUM_CSS = (
    "@page { @top-left { content: none } @top-right { content: none } "
    "@bottom-left { content: none } @bottom-right { content: none } } "
    ".running-footer { display: none }"
)
_MARGIN_BOX = (
    "style=\"font-family: 'Noto Sans CJK SC'; font-size: 7pt; color: #5a6775; width: 100%; margin: 0 16mm\""
)


def chromium_available() -> bool:
    """True when headless Chromium can print: the browser (Debian package chromium) and Playwright to
    drive it (the chromium-pdf extra) are both installed."""
    if _chromium_executable() is None:
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def render_pdf(data: ReportData, lang: str, stamp: Stamp | None = None, *, pdf_engine: str = "auto") -> bytes:
    """The report as PDF bytes, by headless Chromium's print-to-PDF or by WeasyPrint; "auto" (the default)
    takes Chromium where it is installed, WeasyPrint elsewhere or when the browser fails to start.

    Chromium is about four times faster on a long report (bench/report_bench.py). Both embed subsets of
    the Noto CJK fonts and keep chart text as text; Chromium embeds them as Type 3 fonts (it does so with
    every CFF font), WeasyPrint as CID fonts."""
    if pdf_engine not in PDF_ENGINES:
        raise ValueError(f"unknown PDF engine {pdf_engine!r}; use one of {', '.join(PDF_ENGINES)}")
    if pdf_engine == "chromium":
        return _chromium_pdf(data, lang, stamp)
    if pdf_engine == "auto" and chromium_available():
        try:
            return _chromium_pdf(data, lang, stamp)
        except Exception:  # the browser would not start or print: the report still comes out
            _log.warning(
                "headless Chromium failed to print the report; rendering with WeasyPrint", exc_info=True
            )
    import weasyprint

    document = weasyprint.HTML(string=render_html(data, lang, stamp))
    # No font hinting: print needs none, and subsetting without it is faster and smaller.
    return bytes(document.write_pdf(hinting=False) or b"")


def _chromium_templates(data: ReportData, lang: str, stamp: Stamp | None) -> tuple[str, str]:
    words = labels.words_for(data.summary is None, lang)
    header = (
        f'<div {_MARGIN_BOX}><span style="float: left">{escape(words["title"])}</span>'
        f'<span style="float: right">{escape(data.cover.enterprise_name)}</span></div>'
    )
    if stamp is not None:
        lines = (
            f"{escape(words['report_number'])} {escape(stamp.report_number)} v{stamp.version} · "
            f"{escape(words['issued_at'])} {escape(_issued_local(stamp))}<br>"
            f"<span style=\"font-family: 'Noto Sans Mono CJK SC'\">SHA-256: {escape(stamp.content_sha256)}</span>"
        )
    else:
        lines = escape(words["draft"])
    footer = (
        f'<div {_MARGIN_BOX}><span style="float: right"><span class="pageNumber"></span> / '
        f'<span class="totalPages"></span></span><div style="font-size: 6.5pt">{lines}</div></div>'
    )
    return header, footer


class _Printer:
    """One headless Chromium per process, owned by one thread that prints every report handed to it.

    Playwright's sync objects belong to the thread that made them, so the browser lives in a thread of
    its own (started on first use, a start costs about a second) and callers from any thread queue their
    page to it; it is closed when the process exits. A browser that died is started again."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[str, str, str, Future[bytes]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def print(self, html: str, header: str, footer: str) -> bytes:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                started: Future[None] = Future()
                self._thread = threading.Thread(
                    target=self._run, args=(started,), name="chromium-pdf", daemon=True
                )
                self._thread.start()
                started.result()  # raises here when the browser cannot start
        done: Future[bytes] = Future()
        self._jobs.put((html, header, footer, done))
        return done.result()

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout=10)

    def _run(self, started: Future[None]) -> None:
        from playwright.sync_api import sync_playwright

        try:
            executable = _chromium_executable()
            if executable is None:
                raise RuntimeError(
                    "the chromium PDF engine needs Chromium installed (Debian package chromium)"
                )
            playwright = sync_playwright().start()
        except BaseException as exc:
            started.set_exception(exc)
            return
        try:
            browser = _launch(playwright, executable)
        except BaseException as exc:
            playwright.stop()
            started.set_exception(exc)
            return
        started.set_result(None)
        try:
            while (job := self._jobs.get()) is not None:
                html, header, footer, done = job
                try:
                    if not browser.is_connected():
                        browser = _launch(playwright, executable)
                    done.set_result(_print_page(browser, html, header, footer))
                except BaseException as exc:
                    done.set_exception(exc)
        finally:
            with contextlib.suppress(Exception):
                browser.close()
            playwright.stop()


def _chromium_executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _launch(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(
        executable_path=executable, args=["--no-sandbox", "--disable-background-networking"]
    )


def _print_page(browser: Any, html: str, header: str, footer: str) -> bytes:
    page = browser.new_page()
    try:
        page.set_content(html, wait_until="load")
        pdf = page.pdf(
            format="A4",
            margin={"top": "18mm", "right": "16mm", "bottom": "24mm", "left": "16mm"},
            display_header_footer=True,
            header_template=header,
            footer_template=footer,
            print_background=True,
        )
    finally:
        page.close()
    return bytes(pdf)


_printer = _Printer()


def _chromium_pdf(data: ReportData, lang: str, stamp: Stamp | None) -> bytes:
    html = render_html(data, lang, stamp).replace("</style>", f"{_CHROMIUM_CSS}</style>", 1)
    header, footer = _chromium_templates(data, lang, stamp)
    return _printer.print(html, header, footer)
