"""Verify the audit chain: every row against its MAC, the head against the checkpoints kept outside the database
and the values printed in issued reports, and every issued report version against the log.

What each attack looks like here (issue #20): hashes set to NULL → a row after the legacy boundary without its
MAC; a forged row appended, or a row rewritten and the chain recomputed from there, without the key → rows whose
MAC does not match; rows deleted at the end → fewer rows than a checkpoint recorded (a truncation); the chain
rewritten with the key → rows that differ from a checkpoint; the boundary moved → it differs from the one the
checkpoints recorded.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from diagnose.models import AuditLog
from diagnose.models.reports import IssuedReport
from diagnose.services.audit import audit_checkpoints, audit_log

BATCH_ROWS = 5000
MIN_EXPECT_HEX = 16


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong, and where: an audit row (its id and position in the chain), a checkpoint, a report."""

    where: str
    what: str
    row_id: int | None = None


@dataclass(frozen=True, slots=True)
class Anchor:
    """A value the chain must have at a position: from the checkpoint file, an issued report, or the operator."""

    source: str
    rows: int
    value: str  # the chain value, or a prefix of it (a value copied from paper)
    last_id: int | None = None
    boundary: int | None = None


@dataclass(slots=True)
class ChainReport:
    """The outcome of `verify`: rows checked, the head, what was checked against, and every problem found."""

    rows: int = 0
    head: audit_log.ChainHead | None = None
    anchors: int = 0
    reports: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def first_bad_id(self) -> int | None:
        """The id of the first audit row at fault, if any."""
        return next((p.row_id for p in self.problems if p.row_id is not None), None)

    @property
    def intact(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems


def anchors_from_file(path: Path, key: bytes, report: ChainReport) -> list[Anchor]:
    """The checkpoints of `path` as anchors; unreadable, foreign or forged lines are problems."""
    if not path.exists():
        report.notes.append(
            f"no checkpoint file at {path}: a truncation of the log's newest rows cannot be detected without "
            "one (`diagnose audit-log checkpoint`, or the jobs process, writes it)"
        )
        return []
    anchors = []
    for line in audit_checkpoints.read(path, key):
        if line.problem:
            report.problems.append(Problem(f"checkpoint file {path} line {line.line}", line.problem))
        elif line.checkpoint is not None:
            c = line.checkpoint
            anchors.append(
                Anchor(
                    f"checkpoint of {c.at} ({path} line {line.line})", c.rows, c.head, c.last_id, c.boundary
                )
            )
    return anchors


def parse_expectation(text: str) -> Anchor:
    """`N:HEX` as printed in a report (审计记录第 N 条, 审计链校验值 HEX): an anchor; ValueError if malformed."""
    rows, _, value = text.strip().partition(":")
    value = value.strip().lower()
    if (
        not rows.strip().isdigit()
        or len(value) < MIN_EXPECT_HEX
        or any(c not in "0123456789abcdef" for c in value)
    ):
        raise ValueError(
            f"expected N:HEX (a row count and at least {MIN_EXPECT_HEX} hex digits), got {text!r}"
        )
    return Anchor(f"expected value {text.strip()}", int(rows), value)


def verify(
    *, session: Session, key: bytes, checkpoint_file: Path | None = None, expect: list[Anchor] | None = None
) -> ChainReport:
    """Check the chain, its anchors (checkpoint file, issued reports, `expect`) and the issued reports."""
    report = ChainReport()
    anchors = list(expect or [])
    if checkpoint_file is not None:
        anchors += anchors_from_file(checkpoint_file, key, report)
    boundaries = audit_checkpoints.legacy_boundary(session=session)
    if len(boundaries) != 1:
        report.problems.append(
            Problem(
                "legacy boundary",
                f"recorded {len(boundaries)} times in auditchainboundary (once, by migration 0023, is right); "
                "every row is checked as a keyed row",
            )
        )
    boundary = boundaries[0] if len(boundaries) == 1 else 0
    for anchor in anchors:
        if anchor.boundary is not None and anchor.boundary != boundary:
            report.problems.append(
                Problem(
                    anchor.source,
                    f"the legacy boundary it recorded (row {anchor.boundary}) differs from the database's "
                    f"(row {boundary}): the boundary was moved",
                )
            )
    anchors += _report_anchors(session)
    report.anchors = len(anchors)
    issued_in_log = _check_rows(session, key, boundary, anchors, report)
    _check_reports(session, issued_in_log, report)
    return report


def _rows(session: Session) -> Iterator[AuditLog]:
    after = 0
    while True:
        batch = session.exec(
            select(AuditLog).where(col(AuditLog.id) > after).order_by(col(AuditLog.id)).limit(BATCH_ROWS)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id or after
        session.expunge_all()  # a long log is read in batches, never held whole


def _check_rows(
    session: Session, key: bytes, boundary: int, anchors: list[Anchor], report: ChainReport
) -> set[tuple[str, int, str]]:
    by_position: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        by_position.setdefault(anchor.rows, []).append(anchor)
    issued: set[tuple[str, int, str]] = set()
    previous: str | None = None
    last_at: datetime | None = None
    position = 0
    bad_macs: list[int] = []
    last = audit_log.ChainHead(0, 0, audit_log.GENESIS)
    for entry in _rows(session):
        position += 1
        assert entry.id is not None
        where = f"audit row {entry.id} (record no. {position})"
        if entry.id <= boundary:
            if entry.row_hash is None:
                if previous is not None:
                    report.problems.append(
                        Problem(where, "no hash, after the legacy chain started", entry.id)
                    )
            elif entry.row_hash != audit_log.row_digest(previous or audit_log.GENESIS, entry):
                report.problems.append(
                    Problem(
                        where, "its hash does not match the row and the previous row (legacy chain)", entry.id
                    )
                )
        elif entry.row_hash is None:
            report.problems.append(
                Problem(
                    where,
                    f"no MAC, though every row after the legacy boundary (row {boundary}) carries one",
                    entry.id,
                )
            )
        elif not hmac.compare_digest(
            entry.row_hash, audit_log.row_mac(key, previous or audit_log.GENESIS, entry)
        ):
            bad_macs.append(entry.id)
        if last_at is not None and entry.at < last_at:
            report.problems.append(Problem(where, "earlier than the row before it (back-dated)", entry.id))
        for anchor in by_position.pop(position, []):
            value = entry.row_hash or audit_log.GENESIS
            if not value.startswith(anchor.value) or (
                anchor.last_id is not None and anchor.last_id != entry.id
            ):
                report.problems.append(
                    Problem(
                        where,
                        f"differs from {anchor.source}, which recorded "
                        f"{'row ' + str(anchor.last_id) + ' with ' if anchor.last_id is not None else ''}"
                        f"{anchor.value[:16]}… here: the log was rewritten at or before this row",
                        entry.id,
                    )
                )
        if entry.action == "report.issue" and isinstance(entry.detail, dict):
            detail = entry.detail
            issued.add(
                (
                    str(detail.get("report_number")),
                    int(detail.get("version") or 0),
                    str(detail.get("pdf_sha256")),
                )
            )
        previous, last_at = entry.row_hash, entry.at
        last = audit_log.ChainHead(position, entry.id, entry.row_hash or audit_log.GENESIS)
    if bad_macs:
        first = bad_macs[0]
        more = (
            f"; {len(bad_macs) - 1} later rows do not match either ({_ranges(bad_macs[1:])})"
            if len(bad_macs) > 1
            else ""
        )
        report.problems.append(
            Problem(
                f"audit row {first}",
                "its MAC does not match the row and the previous row: edited, forged, or re-chained without the "
                f"audit key{more}",
                first,
            )
        )
        report.problems.sort(key=lambda p: (p.row_id is None, p.row_id or 0))
    for rows, missing in sorted(by_position.items()):
        if rows == 0:
            continue  # a checkpoint of the empty log (a fresh install): nothing to lose
        for anchor in missing:
            report.problems.append(
                Problem(
                    anchor.source,
                    f"truncated: it recorded {rows} rows"
                    f"{', the last one row ' + str(anchor.last_id) if anchor.last_id is not None else ''}; "
                    f"the log now has {position}",
                )
            )
    report.rows = position
    report.head = last
    return issued


def _ranges(ids: list[int], shown: int = 5) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (", …" if len(ids) > shown else "")


def _report_anchors(session: Session) -> list[Anchor]:
    """The chain values printed in issued reports (stored with each version), as anchors."""
    anchors = []
    rows = session.exec(
        select(IssuedReport.report_number, IssuedReport.version, IssuedReport.data).order_by(
            col(IssuedReport.id)
        )
    ).all()
    for number, version, data in rows:
        printed = (data or {}).get("stamp", {}).get("audit_head")
        if isinstance(printed, dict) and "rows" in printed and "value" in printed:
            anchors.append(
                Anchor(f"issued report {number} v{version}", int(printed["rows"]), str(printed["value"]))
            )
    return anchors


def _check_reports(session: Session, issued_in_log: set[tuple[str, int, str]], report: ChainReport) -> None:
    """Every issued version was issued through the application (its report.issue entry is in the chain) and its
    stored PDF is the one recorded."""
    ids = session.exec(select(IssuedReport.id).order_by(col(IssuedReport.id))).all()
    for report_id in ids:
        row = session.exec(
            select(
                IssuedReport.report_number, IssuedReport.version, IssuedReport.pdf_sha256, IssuedReport.pdf
            ).where(IssuedReport.id == report_id)
        ).one()
        number, version, recorded, pdf = row
        where = f"issued report {number} v{version}"
        if hashlib.sha256(pdf).hexdigest() != recorded:
            report.problems.append(Problem(where, "its stored PDF does not match its recorded SHA-256"))
        if (number, version, recorded) not in issued_in_log:
            report.problems.append(
                Problem(
                    where,
                    "no report.issue entry of the audit chain records it: it was stored behind the platform's back",
                )
            )
        report.reports += 1
