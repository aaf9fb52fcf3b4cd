"""Issuing and verifying: versions, append-only rows, altered and unknown files, the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli import main
from apps.cli.report import report_command
from diagnose.db import make_engine
from diagnose.models import AuditLog, DiagnosisOrder, IssuedReport, OrderStatus
from diagnose.models.reports import ReportImmutableError
from diagnose.settings import load_settings
from reports import NotReportable, data_of, issue_report, render_pdf, stamp_of, verify_pdf, versions
from reports.data import content_sha256

# The whole module on one xdist worker: its two versions are issued once, not on each worker it would spread to.
pytestmark = pytest.mark.xdist_group("store")


def _order(session: Session, status: OrderStatus) -> DiagnosisOrder:
    return session.exec(select(DiagnosisOrder).where(DiagnosisOrder.status == status)).first()  # type: ignore[return-value]


@pytest.fixture(scope="module")
def issued_engine(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One copy of the demo database for the module, with a report issued twice (rendering is slow)."""
    copy = tmp_path_factory.mktemp("issued") / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def issued(issued_engine: Engine) -> tuple[IssuedReport, IssuedReport]:
    with Session(issued_engine, expire_on_commit=False) as session:
        order = _order(session, OrderStatus.accepted)
        first = issue_report(session=session, order=order, actor="system:test", lang="zh")
        second = issue_report(session=session, order=order, actor="system:test", lang="en")
        session.commit()
    return first, second


def test_reissue_makes_version_two(issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine) -> None:
    first, second = issued
    assert (first.version, second.version) == (1, 2)
    assert first.report_number == second.report_number
    assert first.pdf_sha256 != second.pdf_sha256
    with Session(issued_engine) as session:
        order = session.get(DiagnosisOrder, first.order_id)
        assert [r.version for r in versions(session=session, order=order)] == [1, 2]  # type: ignore[arg-type]
        actions = session.exec(select(AuditLog).where(AuditLog.action == "report.issue")).all()
        assert [a.detail["version"] for a in actions] == [1, 2]  # type: ignore[index]


def test_content_hash_recomputes_from_stored_data(issued: tuple[IssuedReport, IssuedReport]) -> None:
    for row in issued:
        stamp = stamp_of(row)
        again = content_sha256(
            data_of(row),
            report_number=stamp.report_number,
            version=stamp.version,
            lang=stamp.lang,
            issued_at=stamp.issued_at,
            audit_head={"rows": stamp.audit_rows, "value": stamp.audit_value},
        )
        assert again == row.content_sha256


@pytest.mark.parametrize("which", [0, 1])
def test_verify_recognises_each_version(
    issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine, which: int
) -> None:
    row = issued[which]
    with Session(issued_engine) as session:
        result = verify_pdf(session=session, pdf=row.pdf)
    assert (result.verdict, result.report_number, result.version) == (
        "issued",
        row.report_number,
        row.version,
    )


def test_verify_rejects_an_altered_file(
    issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine
) -> None:
    row = issued[1]
    tampered = row.pdf + b"\n% edited\n"  # an incremental edit leaves the footer readable
    with Session(issued_engine) as session:
        result = verify_pdf(session=session, pdf=tampered)
    assert result.verdict == "altered"
    assert f"claims to be report {row.report_number} v2 but was altered" in result.message


@pytest.mark.parametrize("kind", ["random", "draft", "forged"])
def test_verify_rejects_unknown_files(
    issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine, kind: str
) -> None:
    row = issued[0]
    if kind == "random":
        pdf = b"not a pdf at all"
    elif kind == "draft":
        pdf = render_pdf(data_of(row), "zh")
    else:  # a well-made PDF claiming a version never issued
        stamp = stamp_of(row)
        pdf = render_pdf(
            data_of(row), "zh", stamp.__class__(stamp.report_number, 9, "zh", stamp.issued_at, "f" * 64)
        )
    with Session(issued_engine) as session:
        result = verify_pdf(session=session, pdf=pdf)
    assert result.verdict == "unknown"


def test_rows_refuse_update_and_delete_in_the_service(
    issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine
) -> None:
    with Session(issued_engine) as session:
        row = session.get(IssuedReport, issued[0].id)
        assert row is not None
        row.lang = "en"
        session.add(row)
        with pytest.raises(ReportImmutableError):
            session.flush()
        session.rollback()
        session.delete(session.get(IssuedReport, issued[0].id))
        with pytest.raises(ReportImmutableError):
            session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE issuedreport SET pdf_sha256 = 'x'",
        "DELETE FROM issuedreport",
        # SQLite's REPLACE deletes the old row without firing DELETE triggers (issue #12).
        "INSERT OR REPLACE INTO issuedreport SELECT * FROM issuedreport WHERE version = 1",
        "INSERT OR REPLACE INTO issuedreport (order_id, report_number, version, lang, content_sha256, "
        "pdf_sha256, size_bytes, pdf, data, issued_by, issued_at) SELECT order_id, report_number, version, "
        "lang, content_sha256, 'forged', 1, x'00', data, issued_by, issued_at FROM issuedreport WHERE version = 1",
    ],
)
def test_database_refuses_update_and_delete(
    issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine, statement: str
) -> None:
    with issued_engine.connect() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text(statement))


def test_order_not_submitted_is_not_reportable(demo_engine: Engine) -> None:
    with Session(demo_engine) as session, pytest.raises(NotReportable, match="on_site"):
        issue_report(session=session, order=_order(session, OrderStatus.on_site), actor="system:test")


@pytest.mark.slow  # two PDFs and a Word copy through the CLI: 4.7 s with the browser already started, at load 1.6
def test_cli_issue_and_verify(demo_engine: Engine, tmp_path: Path) -> None:
    main.add_command(report_command)
    settings = load_settings(env="test", var_dir=tmp_path / "var", database_url=str(demo_engine.url))
    runner = CliRunner()
    with Session(demo_engine) as session:
        number = _order(session, OrderStatus.submitted).number
    out1, out2 = tmp_path / "v1.pdf", tmp_path / "v2.pdf"
    first = runner.invoke(main, ["report", number, "--out", str(out1)], obj=settings)
    assert first.exit_code == 0, first.output
    assert "v1" in first.output
    word = tmp_path / "v2.docx"
    second = runner.invoke(
        main, ["report", number, "--out", str(out2), "--lang", "en", "--docx", str(word)], obj=settings
    )
    assert second.exit_code == 0 and "v2" in second.output and "Word working copy" in second.output
    from tests.reports.test_deliverable import docx_text

    text = docx_text(word.read_bytes())
    assert f"R-{number} v2" in text and "Working copy, not the official version" in text
    for path, version in ((out1, 1), (out2, 2)):
        checked = runner.invoke(main, ["report", "verify", str(path)], obj=settings)
        assert checked.exit_code == 0 and f"v{version}" in checked.output
    (tmp_path / "bad.pdf").write_bytes(out2.read_bytes() + b"%x\n")
    bad = runner.invoke(main, ["report", "verify", str(tmp_path / "bad.pdf")], obj=settings)
    assert bad.exit_code == 1 and "altered" in bad.output


def test_the_audit_head_is_printed_and_anchors_the_log(
    issued: tuple[IssuedReport, IssuedReport], issued_engine: Engine, tmp_path: Path
) -> None:
    """Each issued version prints the audit chain's head on its signature page (审计链校验值 … 审计记录第 N 条);
    `diagnose audit-log verify` checks the log against it, and every stored version against the log."""
    import re
    import sqlite3

    from diagnose.services.audit import audit_verify
    from diagnose.settings import DEVELOPMENT_AUDIT_KEY
    from tests.reports.conftest import run

    first, _second = issued
    stamp = stamp_of(first)
    assert stamp.audit_rows > 0 and re.fullmatch(r"[0-9a-f]{64}", stamp.audit_value)
    pdf = tmp_path / "v1.pdf"
    pdf.write_bytes(first.pdf)
    printed = re.sub(r"\s", "", run("pdftotext", "-enc", "UTF-8", str(pdf), "-"))
    assert f"审计链校验值：{stamp.audit_value}（截至审计记录第{stamp.audit_rows}条）" in printed
    with Session(issued_engine) as session:
        report = audit_verify.verify(
            session=session,
            key=DEVELOPMENT_AUDIT_KEY,
            expect=[audit_verify.parse_expectation(f"{stamp.audit_rows}:{stamp.audit_value}")],
        )
    assert report.intact, report.problems
    assert report.reports >= 2 and report.anchors >= 3  # the two printed heads and the expected value

    copy = tmp_path / "forged.db"  # a version stored behind the platform's back, to pass a forged PDF
    source, target = sqlite3.connect(str(issued_engine.url.database)), sqlite3.connect(copy)
    source.backup(target)  # the write-ahead log included
    source.close()
    target.close()
    forged = make_engine(url=f"sqlite:///{copy}")
    with forged.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO issuedreport (order_id, report_number, version, lang, content_sha256, pdf_sha256, "
                "size_bytes, pdf, data, issued_by, issued_at) SELECT order_id, report_number, 99, lang, "
                "content_sha256, :fake, size_bytes, pdf, data, issued_by, issued_at FROM issuedreport WHERE id = :id"
            ),
            {"fake": "ab" * 32, "id": first.id},
        )
    with Session(forged) as session:
        problems = audit_verify.verify(session=session, key=DEVELOPMENT_AUDIT_KEY).problems
    forged.dispose()
    said = {(p.where, p.what) for p in problems}
    where = f"issued report {first.report_number} v99"
    assert (where, "its stored PDF does not match its recorded SHA-256") in said
    assert any(w == where and "no report.issue entry" in m for w, m in said)
