"""The report as an editable Word document (python-docx): same content and number, marked as a working copy.

Providers and bureaus edit and file Word documents; the DOCX is that working copy. Only the issued PDF is
the deliverable (its bytes are hashed and verifiable); every DOCX page says so in its header.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reports import charts, labels, policy, sections, verify_link
from reports.data import NodeRow, ReportData, Stamp, Text
from scoring.china_time import CHINA_TZ

FONT = "Noto Sans CJK SC"


def _issued_local(stamp: Stamp | None) -> str:
    if stamp is None:
        return ""
    return datetime.fromisoformat(stamp.issued_at).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


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
    """The report as DOCX bytes: the same sections and figures as the PDF, without the charts."""
    t = labels.WORDS[lang]
    helps = labels.helpers(lang)
    w = _Writer()

    def tx(text: Text) -> str:
        return text.zh if lang == "zh" else text.en

    def lvl(level: int) -> str:
        return charts.LABELS[lang]["level"].format(level)

    def score3(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    number = f"{stamp.report_number} v{stamp.version}" if stamp else t["draft"]
    w.header(f"{t['working_copy']} · {t['report_number']} {number}")

    c = data.cover
    w.doc.add_heading(t["title"], level=0)
    w.para(t["working_copy"], bold=True)
    w.para(t["subtitle"])
    w.para(c.enterprise_name, bold=True)
    w.table(
        None,
        [
            (t["uscc"], c.enterprise_uscc),
            (t["region"], c.region_name),
            (t["industry"], f"{c.industry_code} · {labels.SCALE[lang].get(c.scale, c.scale)}"),
            (t["provider"], c.provider_name),
            (t["bureau"], c.bureau_name),
            (t["order"], f"{c.order_number} · {labels.KIND[lang].get(c.order_kind, c.order_kind)}"),
            (t["created_on"], c.created_on),
            (t["visit_on"], c.visit_on or "—"),
            (t["submitted_on"], c.submitted_on or "—"),
            (t["accepted_on"], c.accepted_on or "—"),
        ],
    )
    if stamp:
        rows = [
            (t["report_number"], stamp.report_number),
            (t["version"], f"v{stamp.version}"),
            (t["issued_at"], _issued_local(stamp)),
            (t["content_hash"], stamp.content_sha256),
        ]
        if data.verify_base_url:
            url = verify_link.verify_url(
                data.verify_base_url, stamp.report_number, stamp.version, stamp.content_sha256
            )
            rows.append((t["verify_title"], url))
        w.table(None, rows)
    w.page_break()

    s = data.summary
    w.heading(t["s1"], 1)
    w.table(
        None,
        [
            (t["level_self"], f"{lvl(s.level) if s.level else '—'} {tx(s.level_name)}"),
            (t["score"], f"{s.score:.2f}"),
            (t["total_subsidy"], sections.yuan(data.roadmap.subsidy_fen)),
        ],
    )
    w.para(t["self_assessment"])
    w.heading(t["peers"], 2)
    w.para(_peers_text(data, t, tx))
    w.heading(t["findings"], 2)
    for index, finding in enumerate(s.findings, start=1):
        w.para(f"{index}. {tx(finding)}")
    w.heading(t["level_scores"], 2)
    w.table([lvl(i) for i in range(1, len(s.level_scores) + 1)], [[f"{x:.2f}" for x in s.level_scores]])

    w.heading(t["s2"], 1)
    for key, rows in (
        ("s2_elements", data.elements),
        ("s2_domains", data.domains),
        ("s2_subdomains", data.subdomains),
    ):
        w.heading(t[key], 2)
        w.table(*_nodes(rows, t, lang, lvl, score3))

    _evidence(w, data, t, tx)
    _roadmap(w, data, t, tx, lvl, helps)
    _subsidy(w, data, t, helps, lang)

    w.heading(t["s6"], 1)
    m = data.methodology
    for paragraph in labels.METHOD[lang]:
        w.para(paragraph.format(days=m.evidence_window_days, timeout=m.silence_timeout_s))
    w.table(
        None,
        [
            *((helps["version_name"](k), v) for k, v in m.versions),
            (t["input_hash"], m.input_hash),
            (t["counts"], f"{m.rated} / {m.unanswered} / {m.tailored}"),
        ],
    )

    w.heading(t["appendix_a"], 1)
    w.table(
        [t["requirement"], t["level"], t["rating"], t["measured"], t["note"]],
        [
            (
                f"{a.requirement_id} {tx(a.statement)}",
                a.level,
                _rating(a.rating, lang),
                a.measured or "—",
                "\n".join(x for x in (a.evidence_note, a.tailor_reason) if x),
            )
            for a in data.answers
        ],
    )
    if data.attachments:
        w.heading(t["attachments"], 2)
        w.table(
            [t["requirement"], t["file"], t["size"], "SHA-256"],
            [(f.requirement_id, f.filename, f.size_bytes, f.sha256) for f in data.attachments],
        )
    w.heading(t["appendix_b"], 1)
    w.para(t["appendix_b_note"])
    rest = [line for line in data.roadmap.subsidy_lines if not policy.in_main(line)]
    w.table(
        [t["policy"], t["clause"], t["target"], t["status"], t["reason"]],
        [
            (
                r["document"],
                t["list_sep"].join(r["clauses"]),
                t["list_sep"].join(r["targets"]),
                labels.STATUS[lang].get(r["status"], r["status"]),
                r["reason"],
            )
            for r in policy.appendix_rows(rest, lang)
        ],
    )
    _signatures(w, data, t, stamp)
    return w.save()


def _rating(value: str, lang: str) -> str:
    return f"{labels.RATING[lang].get(value, value)} ({value})" if value else labels.RATING[lang][""]


def _peers_text(data: ReportData, t: dict[str, str], tx: Any) -> str:
    pe = data.peers
    if pe is None:
        return "—"
    if pe.percentile is None or pe.peer_median is None:
        return t["peers_too_few"].format(group=tx(pe.group), n=pe.peers, min=pe.minimum)
    return t["peers_rank"].format(
        group=tx(pe.group),
        n=pe.peers,
        pct=f"{pe.percentile:.0f}",
        own=f"{pe.own_score:.2f}",
        median=f"{pe.peer_median:.2f}",
    )


def _nodes(
    rows: Sequence[NodeRow], t: dict[str, str], lang: str, lvl: Any, score3: Any
) -> tuple[list[str], list[list[str]]]:
    header = [t["name"], *(lvl(i) for i in range(1, 6)), t["overall"]]
    body = [
        [n.name_zh if lang == "zh" else n.name_en, *(score3(v) for v in n.by_level), score3(n.overall)]
        for n in rows
    ]
    return header, body


def _snapshot_evidence(w: _Writer, data: ReportData, t: Any, tx: Any) -> None:
    """The evidence snapshot's figures as the PDF shows them: status words where a figure is not ok."""
    ev = data.evidence
    w.table(
        [t["figure"], t["result"], t["definition"]],
        [(tx(f.label), tx(f.text), tx(f.definition) if f.status == "ok" else "") for f in ev.figures],
    )
    w.para(t["unknown_note"])
    if ev.networking_lines:
        lines = "；".join(
            f"{code} {name}（{t['connected'] if connected else t['not_connected']}）"
            for code, name, connected in ev.networking_lines
        )
        w.para(f"{t['ledger_lines']}{t['colon']}{lines}")
    w.heading(t["s3_devices"], 2)

    def cell(statuses: tuple[tuple[str, str, str], ...], name: str) -> str:
        found = next((s for s in statuses if s[0] == name), None)
        if found is None:
            return "—"
        return found[2] if found[1] == "ok" else t["status_words"][found[1]]

    names = ("availability", "performance", "quality", "oee", "utilisation", "coverage")
    w.table(
        [
            t["device"],
            t["observed_h"],
            t["known_h"],
            t["planned_known_h"],
            t["unknown_planned_h"],
            t["availability"],
            t["performance"],
            t["quality"],
            "OEE",
            t["utilisation"],
            t["coverage"],
            t["device_note"],
        ],
        [
            (
                f"{d.external_id} {d.name}",
                f"{d.observed_hours:.1f}",
                f"{d.known_hours:.1f}",
                f"{d.known_planned_hours:.1f}",
                f"{d.unknown_planned_hours:.1f}",
                *(cell(d.statuses, n) for n in names),
                tx(d.note) or "—",
            )
            for d in ev.devices
        ],
    )
    if ev.daily:
        w.heading(t["daily_oee"], 2)
        w.table([t["day"], "OEE"], [(day, text) for day, text, _ in ev.daily])


def _evidence(w: _Writer, data: ReportData, t: dict[str, str], tx: Any) -> None:
    ev, pct = data.evidence, sections.pct
    w.heading(t["s3"], 1)
    w.para(f"{t['window']}{t['colon']}{ev.window_start} — {ev.window_end}")
    if ev.figures:
        _snapshot_evidence(w, data, t, tx)
        w.heading(t["s3_reconciled"], 2)
        for item in ev.reconciled or (Text("—", "—"),):
            w.para(tx(item))
        return
    energy = "—" if ev.energy_per_unit_kwh is None else f"{ev.energy_per_unit_kwh:.3f}"
    w.table(
        None,
        [
            (t["devices_total"], ev.devices_total, t["devices_networked"], ev.devices_networked),
            (t["networking_rate"], pct(ev.networking_rate), t["coverage"], pct(ev.coverage)),
            (t["oee"], pct(ev.oee), t["utilisation"], pct(ev.utilisation)),
            (
                f"{t['availability']} / {t['performance']} / {t['quality']}",
                f"{pct(ev.availability)} / {pct(ev.performance)} / {pct(ev.quality)}",
                t["energy_per_unit"],
                energy,
            ),
        ],
    )
    w.heading(t["s3_devices"], 2)
    w.table(
        [
            t["device"],
            t["kind_col"],
            t["networked"],
            t["availability"],
            t["performance"],
            t["quality"],
            "OEE",
            t["utilisation"],
            t["output"],
        ],
        [
            (
                f"{d.external_id} {d.name}",
                d.kind,
                t["yes"] if d.networked else t["no"],
                pct(d.availability),
                pct(d.performance),
                pct(d.quality),
                pct(d.oee),
                pct(d.utilisation),
                f"{d.good_count}/{d.total_count}",
            )
            for d in ev.devices
        ],
    )
    w.heading(t["s3_reconciled"], 2)
    for item in ev.reconciled or (Text("—", "—"),):
        w.para(tx(item))


def _roadmap(
    w: _Writer, data: ReportData, t: dict[str, str], tx: Any, lvl: Any, helps: dict[str, Any]
) -> None:
    rm, yuan = data.roadmap, sections.yuan
    w.heading(t["s4"], 1)
    w.table(
        None,
        [
            (t["target_level"], lvl(rm.final_level)),
            (t["total_cost"], yuan(rm.cost_fen)),
            (t["total_subsidy"], yuan(rm.subsidy_fen)),
            (t["net_cost"], yuan(rm.net_cost_fen)),
        ],
    )
    w.heading(t["s4_gaps"], 2)
    w.table(
        [t["requirement"], t["subdomain"], t["level"], t["current"], t["priority"]],
        [
            (
                f"{g.requirement_id} {tx(g.statement)}",
                tx(g.subdomain),
                g.level,
                helps["rating_word"](g.current),
                helps["band"](g.band),
            )
            for g in rm.gaps
        ],
    )
    w.heading(t["s4_roadmap"], 2)
    w.table(
        [
            t["step"],
            t["action"],
            t["cost"],
            t["cost_range"],
            t["weeks"],
            t["level_after"],
            t["score_after"],
            t["step_subsidy"],
        ],
        [
            (
                i,
                tx(s.name),
                yuan(s.cost_fen),
                f"{yuan(s.cost_low_fen)}–{yuan(s.cost_high_fen)}",
                s.duration_weeks,
                lvl(s.level_after),
                f"{s.score_after:.2f}",
                yuan(s.subsidy_fen),
            )
            for i, s in enumerate(rm.steps, start=1)
        ],
    )


def _subsidy(w: _Writer, data: ReportData, t: dict[str, str], helps: dict[str, Any], lang: str) -> None:
    rm, yuan = data.roadmap, sections.yuan
    w.heading(t["s5"], 1)
    total = f"{t['total_subsidy']}{t['colon']}{yuan(rm.subsidy_fen)}"
    if rm.upper_bound_fen:
        total += f"{t['sep']}{t['upper_bound']} {yuan(rm.upper_bound_fen)}"
    w.para(total)
    main = [line for line in rm.subsidy_lines if policy.in_main(line)]
    w.table(
        [
            f"{t['policy']} / {t['clause']}",
            t["target"],
            t["status"],
            t["amount"],
            t["explanation"],
            t["quote"],
        ],
        [
            (
                helps["cite"](line),
                line.target_name_zh,
                labels.STATUS[lang].get(line.status, line.status),
                yuan(line.amount_fen),
                helps["explain"](line),
                f"“{line.quote}”",
            )
            for line in main
        ]
        or [("—", "", "", "", "", "")],
    )
    rest = len(rm.subsidy_lines) - len(main)
    w.para(t["not_eligible_note"].format(n=rest))


def _signatures(w: _Writer, data: ReportData, t: dict[str, str], stamp: Stamp | None) -> None:
    sg = data.signatures
    w.page_break()
    w.heading(t["s_sign"], 1)
    w.para(t["sign_statement"])
    w.table(
        None,
        [
            (t["provider"], sg.provider_name if sg else data.cover.provider_name, t["seal"]),
            (t["assessors"], t["list_sep"].join(sg.assessors) if sg else "", t["signature"]),
            (t["reviewer"], "", t["signature"]),
            (
                t["enterprise_confirm"],
                f"{sg.enterprise_name if sg else data.cover.enterprise_name}\n{t['enterprise_statement']}",
                t["seal"],
            ),
            (t["date"], _issued_local(stamp)[:10], t["date_blank"]),
        ],
    )
    if stamp is not None and stamp.audit_rows:
        w.para(f"{t['audit_chain']}：{stamp.audit_value}（{t['audit_at'].format(n=stamp.audit_rows)}）")
