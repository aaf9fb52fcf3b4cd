"""Exports neutralise formula-looking cells: CSV and XLSX reach the spreadsheet as text, never as formulas."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from diagnose.services import supervision_export

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
