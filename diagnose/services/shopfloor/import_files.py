"""Read an uploaded table (CSV or XLSX) as a stream, with every cap applied while reading, never after.

An upload is untrusted: an XLSX of 5 kB can declare 80,000 × 1,000 cells in its `dimension` (openpyxl's
read-only mode honours it, padding every row to that width and yielding empty rows up to that height), or
unpack to gigabytes (a zip bomb of shared strings), and a CSV can be one 50 MB line or millions of columns.
So, before any parsing: the file's size; for an XLSX, the unpacked size every part declares (Python's zipfile
never inflates a member past its declared size, it fails the CRC instead), then a streaming scan of each sheet
that stops at the first row with too many cells or at too many rows; openpyxl then reads with the lying
dimension reset. Rows come out one at a time, and the caller stops at its own row cap. Messages are the
services' English (`web.messages` shows them in Chinese), naming the row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import iterparse

from diagnose.schemas.plant_records import MAX_LEDGER_ROWS
from diagnose.services.accounts.orgs import ValidationError
from diagnose.settings import Settings

MIB = 1024 * 1024
SHEET_ROW = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"
SHEET_CELL = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}c"
SHEET_DATA = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheetData"
SHEET_TEXT = {  # what holds a cell's text: its value, an inline string's text, a shared string's text
    "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}v",
    "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}t",
}
SHARED_ITEM = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}si"


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """The caps of one imported file (settings `DIAGNOSE_IMPORT_*`)."""

    max_bytes: int = 2 * MIB
    max_rows: int = MAX_LEDGER_ROWS  # data rows, the header not counted
    max_columns: int = 50
    max_unpacked_bytes: int = 32 * MIB  # XLSX: what its parts inflate to, all together
    max_cell_chars: int = 2000
    max_blank_rows: int = 10_000  # blank or styled-but-empty rows read past, on top of max_rows

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        """The caps the settings give (`DIAGNOSE_IMPORT_*`)."""
        return cls(
            max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows,
            max_columns=settings.import_max_columns,
            max_unpacked_bytes=settings.import_max_unpacked_bytes,
            max_cell_chars=settings.import_max_cell_chars,
        )

    @property
    def max_line_chars(self) -> int:
        """CSV: the longest physical line read (a full row of full cells, with separators and quotes)."""
        return self.max_columns * (self.max_cell_chars + 3)

    @property
    def max_physical_rows(self) -> int:
        """Rows read at most, blank ones included: the header, the data rows and the blank allowance."""
        return 1 + self.max_rows + self.max_blank_rows


def check_size(data: bytes, limits: ImportLimits, field: str = "file") -> None:
    """Refuse a file above the import cap before anything reads it."""
    if len(data) > limits.max_bytes:
        raise ValidationError(field, "file_larger_than", mib=_mib(limits.max_bytes))


def read_file(path: Path, limits: ImportLimits, field: str = "file") -> bytes:
    """A file's bytes, refused before reading when it is larger than the import cap."""
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    check_size(data, limits, field)
    return data


def load_json(data: bytes | str, field: str = "file") -> Any:
    """Parsed JSON; ValidationError for text that is not JSON, including nesting too deep to parse (which
    the json module reports as RecursionError, not as a decoding error)."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ValidationError(field, "json_line", line=exc.lineno, detail=exc.msg) from None
    except UnicodeDecodeError:
        raise ValidationError(field, "utf8") from None
    except RecursionError:
        raise ValidationError(field, "json_deep") from None


def table_rows(filename: str, data: bytes, limits: ImportLimits) -> Iterator[list[Any]]:
    """The rows of a .csv (UTF-8 with or without BOM, or GB18030) or .xlsx (first sheet) file, one at a time,
    each a list of cell values (blank cells as ""); ValidationError naming the row at the first cap broken."""
    check_size(data, limits)
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data, limits)
    if name.endswith(".csv"):
        return _csv_rows(data, limits)
    raise ValidationError("file", "csv_or_xlsx")


def _mib(size: int) -> str:
    return f"{size / MIB:g}"


def _check_cells(row: list[Any], number: int, limits: ImportLimits) -> list[Any]:
    if len(row) > limits.max_columns:
        raise ValidationError("file", "columns_max", row=number, n=limits.max_columns)
    for value in row:
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            raise ValidationError("file", "cell_long", row=number, n=limits.max_cell_chars)
    return row


def _csv_rows(data: bytes, limits: ImportLimits) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(data, encoding):
            break
    else:
        raise ValidationError("file", "csv_encoding")
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(_bounded_lines(text, limits))
    return _counted(reader, limits)


def _decodes(data: bytes, encoding: str, chunk: int = 64 * 1024) -> bool:
    """Whether the whole file is text in this encoding, decoded a chunk at a time (nothing kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(data[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bounded_lines(text: IO[str], limits: ImportLimits) -> Iterator[str]:
    """Physical lines, none read past the line cap (a 50 MB line is refused after its first 200 k characters)."""
    number = 0
    while True:
        line = text.readline(limits.max_line_chars + 1)
        if not line:
            return
        number += 1
        if len(line) > limits.max_line_chars:
            raise ValidationError("file", "line_long", row=number, n=limits.max_line_chars)
        yield line


def _counted(rows: Iterator[list[Any]], limits: ImportLimits) -> Iterator[list[Any]]:
    number = 0
    try:
        for row in rows:
            number += 1
            if number > limits.max_physical_rows:
                raise ValidationError("file", "rows_with_blank_max", n=limits.max_physical_rows)
            yield _check_cells(["" if v is None else v for v in row], number, limits)
    except csv.Error as exc:
        raise ValidationError("file", "csv_row", row=number + 1, detail=str(exc)) from None


def _xlsx_rows(data: bytes, limits: ImportLimits) -> Iterator[list[Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > limits.max_unpacked_bytes:
            raise ValidationError("file", "workbook_larger_than", mib=_mib(limits.max_unpacked_bytes))
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                _scan_sheet(archive, info.filename, limits)
            elif info.filename.lower() == "xl/sharedstrings.xml":
                _scan_shared_strings(archive, info.filename, limits)
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read what is there, not what the file claims
        rows = sheet.iter_rows(values_only=True)
    except ValidationError:
        raise
    except Exception as exc:  # a damaged or foreign file: openpyxl and zipfile raise many kinds
        raise ValidationError("file", "xlsx_unreadable", detail=type(exc).__name__) from None
    return _closing(_counted(_guarded(rows), limits), book)


def _guarded(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[Any]]:
    try:
        for row in rows:
            yield list(row)
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError("file", "xlsx_unreadable", detail=type(exc).__name__) from None


def _closing(rows: Iterator[list[Any]], book: Any) -> Iterator[list[Any]]:
    try:
        yield from rows
    finally:
        book.close()


def _scan_sheet(archive: zipfile.ZipFile, part: str, limits: ImportLimits) -> None:
    """Stream one sheet's XML, holding one row at a time: refuse the first row with too many cells, or too
    many rows (blank ones included), before openpyxl builds any row."""
    rows = 0
    cells = 0
    parent = None
    with archive.open(part) as stream:
        try:
            for event, element in iterparse(stream, events=("start", "end")):
                if event == "start":
                    if element.tag == SHEET_DATA:
                        parent = element
                    elif element.tag == SHEET_ROW:
                        rows, cells = rows + 1, 0
                        if rows > limits.max_physical_rows:
                            raise ValidationError("file", "rows_with_blank_max", n=limits.max_physical_rows)
                    continue
                if element.tag in SHEET_TEXT and len(element.text or "") > limits.max_cell_chars:
                    raise ValidationError("file", "cell_long", row=rows, n=limits.max_cell_chars)
                if element.tag == SHEET_CELL:
                    cells += 1
                    if cells > limits.max_columns:
                        raise ValidationError("file", "columns_max", row=rows, n=limits.max_columns)
                elif element.tag == SHEET_ROW:
                    element.clear()
                    if parent is not None:
                        with contextlib.suppress(ValueError):  # a row out of place: still counted
                            parent.remove(element)  # the only child kept: memory stays one row deep
        except ParseError as exc:
            raise ValidationError("file", "xlsx_unreadable", detail=type(exc).__name__) from None


def _scan_shared_strings(archive: zipfile.ZipFile, part: str, limits: ImportLimits) -> None:
    """Stream the shared strings (openpyxl loads them whole): no more than a full table's worth of cells, none
    longer than a cell may be."""
    most = (limits.max_rows + 1) * limits.max_columns
    count = 0
    root = None
    with archive.open(part) as stream:
        try:
            for event, element in iterparse(stream, events=("start", "end")):
                if root is None:
                    root = element
                if event == "start":
                    continue
                if element.tag in SHEET_TEXT and len(element.text or "") > limits.max_cell_chars:
                    raise ValidationError("file", "shared_text_long", n=limits.max_cell_chars)
                if element.tag == SHARED_ITEM:
                    count += 1
                    if count > most:
                        raise ValidationError("file", "shared_texts_max", n=most)
                    element.clear()
                    with contextlib.suppress(ValueError):  # not a child of the root: still counted
                        root.remove(element)  # the only child kept: memory stays one text deep
        except ParseError as exc:
            raise ValidationError("file", "xlsx_unreadable", detail=type(exc).__name__) from None
