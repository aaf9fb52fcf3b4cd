"""The issued report's page body is cached per process: by the version it shows, not by a row id that another
database served by the same process (a restored copy, a second tenant database, a test world) reuses."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel

from diagnose.models.reports import IssuedReport, ReportJob
from reports import jobs


def _database(path: Path, body: str, sha: str) -> tuple[Session, IssuedReport]:
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine, tables=[IssuedReport.__table__, ReportJob.__table__])  # type: ignore[list-item]
    session = Session(engine)
    row = IssuedReport(
        id=1, order_id=1, report_number="ZD-1", version=1, lang="zh", content_sha256=sha, pdf_sha256=sha,
        size_bytes=1, pdf=b"%", data={},
    )  # fmt: skip
    session.add(row)
    session.add(ReportJob(order_id=1, status="done", issued_report_id=1, version=1, body_html=body))
    session.commit()
    return session, row


def test_the_same_row_id_in_two_databases_shows_each_its_own_body(tmp_path: Path) -> None:
    first, row_a = _database(tmp_path / "a.db", "<p>甲厂的报告</p>", "a" * 64)
    second, row_b = _database(tmp_path / "b.db", "<p>乙厂的报告</p>", "b" * 64)
    assert row_a.id == row_b.id
    assert str(jobs.issued_body(session=first, row=row_a)) == "<p>甲厂的报告</p>"
    assert str(jobs.issued_body(session=second, row=row_b)) == "<p>乙厂的报告</p>"
    # And the cache still answers the first without reading its database again.
    first.close()
    assert str(jobs.issued_body(session=first, row=row_a)) == "<p>甲厂的报告</p>"
