"""League-table exports a bureau opens in a spreadsheet: CSV in UTF-8 with BOM (Excel), and XLSX via openpyxl."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from diagnose.formats import percent_text
from diagnose.services.supervision.supervision_review import PerformanceReport, ProviderSubsidyPage
from scoring.subsidy import fen_to_cny

HEADERS = (
    "服务商",
    "派单数",
    "已交付",
    "已验收",
    "按期交付",
    "按期率",
    "退回数",
    "退回原因",
    "平均交付天数",
    "评价数",
    "平均评分",
    "诊断企业数",
    "后续改造或获评企业数",
    "转化率",
    "已结算金额（元）",
    "已承诺金额（元）",
    "超上限订单",
    "待复核异常",
)
PERCENT_HEADERS = frozenset({"按期率", "转化率"})  # shares: written as the pages show them, "100.0%"
Cell = str | int | Decimal | None
# A text cell starting with one of these is a formula to Excel/WPS (CSV injection, OWASP): a provider
# name or a return reason typed as "=HYPERLINK(…)" must reach the bureau's spreadsheet as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def league_rows(report: PerformanceReport) -> list[list[Cell]]:
    """One row per provider in league order; money as yuan Decimals (exact), rates as Decimals."""
    rows: list[list[Cell]] = []
    for r in report.rows:
        rows.append(
            [
                report.providers[r.provider_id].name,
                r.assigned,
                r.delivered,
                r.completed,
                r.on_time,
                r.on_time_rate,
                r.returned,
                "；".join(f"{reason}×{count}" for reason, count in r.return_reasons),
                r.avg_delivery_days,
                r.ratings,
                r.avg_rating,
                r.enterprises_diagnosed,
                r.enterprises_with_outcome,
                r.outcome_share,
                Decimal(fen_to_cny(r.billed_fen)),
                Decimal(fen_to_cny(r.committed_fen)),
                "、".join(str(c.order_id) for c in r.over_cap),
                report.open_flags.get(r.provider_id, 0),
            ]
        )
    return rows


PROVIDER_SUBSIDY_HEADERS = (
    "服务商",
    "年度",
    "列入本市解决方案供应商名单",
    "本地合同金额（元）",
    "服务本地企业数",
    "开票销售金额（元）",
    "订单数",
    "可获补贴（元）",
    "未获补贴的原因",
    "测算说明",
    "政策依据",
)
STATUS_ZH = {
    "paid": "可获得",
    "not_eligible": "不符合条件",
    "out_of_force": "不在有效期",
    "not_computable": "仅规定上限",
    "superseded": "就高不重复",
    "excluded": "同年互斥",
}


def provider_subsidy_rows(page: ProviderSubsidyPage) -> list[list[Cell]]:
    """One row per provider: clause 7's figures, the amount (yuan, exact), why not paid, the citation."""
    return [
        [
            r.provider.name,
            r.figures.year,
            "是" if r.listed else "否",
            Decimal(fen_to_cny(r.figures.local_contract_fen)),
            r.figures.local_enterprises,
            Decimal(fen_to_cny(r.figures.invoiced_fen)),
            r.figures.orders,
            Decimal(fen_to_cny(r.line.amount_fen)),
            r.reason_zh,
            r.explanation_zh,
            r.citation_zh,
        ]
        for r in page.rows
    ]


def to_csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """CSV with a UTF-8 byte-order mark, which Excel needs to read Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    shares = {i for i, h in enumerate(headers) if h in PERCENT_HEADERS}
    for row in rows:
        writer.writerow(
            [
                "" if v is None else percent_text(v) if i in shares else neutralise(v)
                for i, v in enumerate(row)
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[Cell]], title: str) -> bytes:
    """An XLSX workbook with one sheet: bold header row, numbers as numbers."""
    from openpyxl import Workbook  # only for an XLSX export, not in every process importing the exports
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit on sheet names
    sheet.append([neutralise(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # openpyxl writes Decimal as a number; rates and yuan keep their exact decimal digits.
        sheet.append(["" if v is None else neutralise(v) for v in row])
    shares = {i for i, h in enumerate(headers) if h in PERCENT_HEADERS}
    for line in sheet.iter_rows():
        for i, cell in enumerate(line):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif i in shares and cell.row > 1:
                cell.number_format = "0.0%"  # a number the sheet can sum, shown as the page shows it
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
