"""Exports neutralise formula-looking cells: CSV and XLSX reach the spreadsheet as text, never as formulas."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from diagnose.services.supervision import supervision_export

EVIL = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1"]


@pytest.mark.parametrize("text", EVIL)
def test_csv_and_xlsx_cells_are_never_formulas(text: str) -> None:
    rows = [[text, 3, Decimal("-1.50"), None]]
    headers = ["服务商", "派单数", "金额", "空"]
    parsed = list(csv.reader(io.StringIO(supervision_export.to_csv_bytes(headers, rows).decode("utf-8-sig"))))
    assert parsed[1][0] == "'" + text and parsed[1][1:] == ["3", "-1.50", ""]
    sheet = load_workbook(io.BytesIO(supervision_export.to_xlsx_bytes(headers, rows, "t"))).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value == "'" + text
    assert sheet.cell(row=2, column=3).value == -1.5  # numbers stay numbers


def test_plain_text_is_untouched() -> None:
    assert supervision_export.neutralise("常州恒锐精密机械有限公司") == "常州恒锐精密机械有限公司"
    assert supervision_export.neutralise(-5) == -5


def test_shares_are_written_as_the_pages_show_them() -> None:
    """按期率 and 转化率 read "100.0%" and "66.7%" in the CSV, as on the league page; the XLSX keeps numbers
    shown in the same format."""
    headers = ["服务商", "按期率", "转化率", "平均交付天数"]
    rows = [
        ["甲", Decimal("1.000"), Decimal("0.6667"), Decimal("3.5")],
        ["乙", None, Decimal("0.0005"), None],
    ]
    parsed = list(csv.reader(io.StringIO(supervision_export.to_csv_bytes(headers, rows).decode("utf-8-sig"))))
    assert parsed[1] == ["甲", "100.0%", "66.7%", "3.5"] and parsed[2] == ["乙", "", "0.1%", ""]
    sheet = load_workbook(io.BytesIO(supervision_export.to_xlsx_bytes(headers, rows, "t"))).active
    assert sheet is not None
    assert sheet["B2"].value == 1 and sheet["B2"].number_format == "0.0%"
    assert sheet["C2"].number_format == "0.0%" and sheet["D2"].number_format == "General"
    assert sheet["B1"].number_format == "General"  # the header is text
    from web.labels import percent

    assert [percent(Decimal("1.000")), percent(Decimal("0.6667")), percent(None)] == ["100.0%", "66.7%", "—"]
