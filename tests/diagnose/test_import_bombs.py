"""Imports that cannot exhaust memory (issue #20): crafted files are refused or read within a bounded amount of
memory, measured in a child process as its peak resident size (VmHWM, reset just before the read) over its
resident size then (the file already loaded, the modules imported), and as tracemalloc's peak; a test measures
memory, never time."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.shopfloor import import_files, plant_records
from diagnose.services.shopfloor.import_files import ImportLimits

MIB = 1024 * 1024
BOUND_MIB = 100  # generous: the growth a bounded read may show, far below what the bombs would cost
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHILD = r"""
import gc, json, sys, tracemalloc
from pathlib import Path
from diagnose.services.shopfloor import plant_records
from diagnose.services.shopfloor.import_files import ImportLimits
from diagnose.services.accounts.orgs import ValidationError
import openpyxl  # imported before the baseline, as a web worker has it
path, name, limits = Path(sys.argv[1]), sys.argv[2], ImportLimits(**json.loads(sys.argv[3]))
def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key))
data = path.read_bytes()
gc.collect()
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # Linux: the peak resident size (VmHWM) starts again from the resident size now
base = status("VmRSS:")
tracemalloc.start()
try:
    outcome = {"rows": len(plant_records.read_rows(name, data, limits))}
except ValidationError as exc:
    outcome = {"refused": exc.message}
outcome["traced_peak_kib"] = tracemalloc.get_traced_memory()[1] // 1024
outcome["grew_kib"] = status("VmHWM:") - base
print(json.dumps(outcome))
"""


def _read_in_child(path: Path, name: str, **limits: int) -> dict[str, object]:
    """What `plant_records.read_rows` makes of the file in a fresh process, and how much its peak memory grew."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), name, json.dumps(limits)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome: dict[str, object] = json.loads(done.stdout)
    assert int(outcome["grew_kib"]) < BOUND_MIB * 1024, outcome  # type: ignore[call-overload]
    assert int(outcome.pop("traced_peak_kib")) < BOUND_MIB * 1024, outcome  # type: ignore[call-overload]
    return outcome


def _ledger_xlsx(rows: int = 2) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["设备编号", "设备名称", "设备类型"])
    for n in range(rows):
        sheet.append([f"EQ-{n:04d}", f"数控车床{n}", "CNC"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite(xlsx: bytes, replace: dict[str, bytes | Iterator[bytes]]) -> bytes:
    """The workbook with some parts replaced (streamed in, so a huge part is never held whole here)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in replace.items():
            with target.open(name, "w") as handle:
                for chunk in [content] if isinstance(content, bytes) else content:
                    handle.write(chunk)
    return out.getvalue()


def _sheet(xlsx: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()


def test_openpyxl_read_only_honours_a_lying_dimension() -> None:
    """The hazard itself: read-only mode pads every row to the declared width, and fills a gap up to a far row
    with rows of that width (the issue's 5 kB file cost a worker 657 MB), unless the dimension is reset."""
    sheet = load_workbook(io.BytesIO(_dimension_bomb(far_row=True)), read_only=True).worksheets[0]
    first = list(islice(sheet.iter_rows(values_only=True), 6000))
    assert len(first) == 6000 and {len(r) for r in first} == {1000}  # 3 real rows and a gap, padded
    sheet = load_workbook(io.BytesIO(_dimension_bomb()), read_only=True).worksheets[0]
    assert [len(r) for r in sheet.iter_rows(values_only=True)] == [1000, 1000, 1000]
    sheet.reset_dimensions()
    assert [len(r) for r in sheet.iter_rows(values_only=True)] == [3, 3, 3]


def _dimension_bomb(*, far_row: bool = False) -> bytes:
    """5 kB declaring 80,000 × 1,000 cells: the ledger's 3 rows, and (far_row) one cell in row 80,000."""
    plain = _ledger_xlsx(2)
    sheet = _sheet(plain).replace('<dimension ref="A1:C3"/>', '<dimension ref="A1:ALL80000"/>')
    if far_row:
        sheet = sheet.replace("</sheetData>", '<row r="80000"><c r="ALL80000"><v>1</v></c></row></sheetData>')
    assert "ALL80000" in sheet
    return _rewrite(plain, {"xl/worksheets/sheet1.xml": sheet.encode()})


@pytest.mark.slow
@pytest.mark.parametrize("far_row", [False, True])
def test_a_dimension_bomb_is_read_as_what_is_there_or_refused(tmp_path: Path, far_row: bool) -> None:
    bomb = _dimension_bomb(far_row=far_row)
    assert len(bomb) < 8 * 1024
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    outcome = _read_in_child(path, "台账.xlsx")
    assert outcome == (
        {"refused": "the file has more than 15001 rows, blank ones included"} if far_row else {"rows": 2}
    ) | {"grew_kib": outcome["grew_kib"]}


def _wide_row(cells: int) -> Iterator[bytes]:
    yield f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'.encode()
    for _ in range(cells // 10_000):
        yield b'<c t="inlineStr"><is><t>x</t></is></c>' * 10_000
    yield b"</row></sheetData></worksheet>"


@pytest.mark.slow
def test_a_row_of_half_a_million_cells_is_refused_at_the_first_row(tmp_path: Path) -> None:
    bomb = _rewrite(_ledger_xlsx(), {"xl/worksheets/sheet1.xml": _wide_row(500_000)})
    path = tmp_path / "wide.xlsx"
    path.write_bytes(bomb)
    outcome = _read_in_child(path, "wide.xlsx")
    assert outcome["refused"] == "row 1 has more than 50 columns"


def test_a_row_number_far_ahead_is_refused_without_walking_to_it(tmp_path: Path) -> None:
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c t="inlineStr"><is><t>设备编号</t></is></c><c t="inlineStr"><is><t>设备名称</t></is></c></row>'
        '<row r="999999999999"><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>B</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    bomb = _rewrite(_ledger_xlsx(), {"xl/worksheets/sheet1.xml": sheet.encode()})
    with pytest.raises(ValidationError, match="more than 15001 rows, blank ones included"):
        plant_records.read_rows("far.xlsx", bomb)


def _shared_strings(count: int, item: bytes) -> Iterator[bytes]:
    yield f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode()
    for _ in range(count // 100_000):
        yield item * 100_000
    yield b"</sst>"


@pytest.mark.slow
def test_a_zip_bomb_of_shared_strings_is_refused_by_its_unpacked_size(tmp_path: Path) -> None:
    bomb = _rewrite(
        _ledger_xlsx(), {"xl/sharedStrings.xml": _shared_strings(12_000_000, b"<si><t>x</t></si>")}
    )
    assert len(bomb) < 2 * MIB  # about 200 MB of XML
    path = tmp_path / "zipbomb.xlsx"
    path.write_bytes(bomb)
    assert (
        _read_in_child(path, "zipbomb.xlsx")["refused"]
        == "the workbook unpacks to more than 32 MB, the most an import takes"
    )


@pytest.mark.slow
def test_a_zip_bomb_that_lies_about_its_unpacked_size_is_refused(tmp_path: Path) -> None:
    """Declared 1 kB, really 200 MB: zipfile stops at the declared size and fails the CRC."""
    bomb = bytearray(
        _rewrite(_ledger_xlsx(), {"xl/sharedStrings.xml": _shared_strings(12_000_000, b"<si><t>x</t></si>")})
    )
    _declare_size(bomb, "xl/sharedStrings.xml", 1024)
    assert zipfile.ZipFile(io.BytesIO(bytes(bomb))).getinfo("xl/sharedStrings.xml").file_size == 1024
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(bomb))
    assert str(_read_in_child(path, "liar.xlsx")["refused"]).startswith(
        "the file is not a readable XLSX workbook"
    )


def _declare_size(data: bytearray, name: str, size: int) -> None:
    """Rewrite the uncompressed size a zip member declares (local header and central directory), as a forger
    would."""
    encoded = name.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at : at + name_at + len(encoded)] == encoded:
                data[at + size_at : at + size_at + 4] = size.to_bytes(4, "little")
            at = data.find(signature, at + 4)


@pytest.mark.slow
def test_too_many_shared_texts_are_refused_while_streaming(tmp_path: Path) -> None:
    bomb = _rewrite(_ledger_xlsx(), {"xl/sharedStrings.xml": _shared_strings(2_000_000, b"<si><t/></si>")})
    path = tmp_path / "texts.xlsx"
    path.write_bytes(bomb)
    assert _read_in_child(path, "texts.xlsx")["refused"] == "the workbook has more than 250050 texts"


@pytest.mark.slow
def test_a_csv_with_a_50_mb_line_is_refused_after_its_first_line_cap(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    path.write_bytes("设备编号,设备名称\n".encode() + b"A" * (50 * MIB) + b",x\n")
    outcome = _read_in_child(path, "line.csv", max_bytes=64 * MIB)
    assert str(outcome["refused"]).startswith("line 2 is longer than 100150 characters")
    with pytest.raises(ValidationError, match="larger than 2 MB"):  # the default cap refuses it unread
        plant_records.read_rows("line.csv", path.read_bytes())


@pytest.mark.slow
def test_a_csv_with_millions_of_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    path.write_bytes(b"code,name\n" + b"," * 3_000_000 + b"\n")
    outcome = _read_in_child(path, "columns.csv", max_bytes=64 * MIB)
    assert str(outcome["refused"]).startswith("line 2 is longer than")
    narrow = b"code,name\n" + b"a," * 60 + b"\n"  # within the line cap, over the column cap
    with pytest.raises(ValidationError, match="row 2 has more than 50 columns"):
        plant_records.read_rows("narrow.csv", narrow)


def test_reading_stops_at_the_row_cap() -> None:
    csv = "code,name\n" + "".join(f"E{n},设备{n}\n" for n in range(6000))
    with pytest.raises(ValidationError, match="at most 5000 rows per import"):
        plant_records.read_rows("big.csv", csv.encode())
    at_cap = "code,name\n" + "".join(f"E{n},设备{n}\n" for n in range(5000))
    assert len(plant_records.read_rows("ok.csv", at_cap.encode())) == 5000


def test_ledger_files_still_read_as_before() -> None:
    rows = plant_records.read_rows("台账.xlsx", _ledger_xlsx(3))
    assert rows == [{"code": f"EQ-{n:04d}", "name": f"数控车床{n}", "kind": "CNC"} for n in range(3)]
    gbk = "设备编号,设备名称,已联网\nA1,车床,是\n\n,,\nA2,铣床,否\n".encode("gb18030")
    assert plant_records.read_rows("台账.csv", gbk) == [
        {"code": "A1", "name": "车床", "connected": "是"},
        {"code": "A2", "name": "铣床", "connected": "否"},
    ]


def test_json_imports_refuse_deep_nesting_and_size(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="nested too deep"):
        import_files.load_json("[" * 100_000)
    big = tmp_path / "devices.json"
    big.write_bytes(b"[" + b"{}," * MIB + b"{}]")
    with pytest.raises(ValidationError, match="larger than 2 MB"):
        import_files.read_file(big, ImportLimits())
