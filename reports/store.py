"""Issue reports as immutable numbered versions, and verify a PDF file against the issued ones."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from diagnose.models import DiagnosisOrder, User
from diagnose.models.base import utcnow
from diagnose.models.reports import IssuedReport
from diagnose.services.accounts import notifications
from diagnose.services.audit import audit_log
from reports.assemble import assemble
from reports.data import ReportData, Stamp, content_sha256, from_dict, to_dict
from reports.render import check_lang, render_pdf

# Footer line as printed by templates/report.html, in either language.
FOOTER = re.compile(r"(R-[A-Za-z0-9-]+) v(\d+)\b.{0,400}?SHA-256:\s*([0-9a-f]{64})", re.DOTALL)
PDFTOTEXT_TIMEOUT_S = 60


@dataclass(frozen=True)
class Verification:
    """What a file is: `issued` (bytes match a stored version), `altered` (claims one but differs), `unknown`."""

    verdict: str
    message: str
    report_number: str = ""
    version: int = 0
    content_sha256: str = ""
    pdf_sha256: str = ""


def report_number(order: DiagnosisOrder) -> str:
    """The report number of an order: one number, many versions."""
    return f"R-{order.number}"


def stamp_of(row: IssuedReport) -> Stamp:
    """The stamp an issued row was rendered with."""
    head = row.data["stamp"].get("audit_head") or {}
    return Stamp(
        row.report_number,
        row.version,
        row.lang,
        row.data["stamp"]["issued_at"],
        row.content_sha256,
        int(head.get("rows", 0)),
        str(head.get("value", "")),
    )


def data_of(row: IssuedReport) -> ReportData:
    """The ReportData an issued row was rendered from."""
    return from_dict(row.data["data"])


def versions(*, session: Session, order: DiagnosisOrder) -> list[IssuedReport]:
    """Every issued version of the order's report, oldest first, without their PDF bytes and JSON (a list
    names versions; a row's `pdf` or `data`, when read, loads for that row alone)."""
    statement = (
        select(IssuedReport)
        .where(IssuedReport.order_id == order.id)
        .options(defer(IssuedReport.pdf), defer(IssuedReport.data))  # type: ignore[arg-type]
    )
    return list(session.exec(statement.order_by(col(IssuedReport.version))))


def get_version(*, session: Session, order: DiagnosisOrder, version: int) -> IssuedReport | None:
    """One issued version of the order's report, or None."""
    statement = select(IssuedReport).where(IssuedReport.order_id == order.id, IssuedReport.version == version)
    return session.exec(statement).first()


def issue_report(
    *,
    session: Session,
    order: DiagnosisOrder,
    actor: User | str,
    lang: str = "zh",
    silence_timeout_s: float = 600,
    now: datetime | None = None,
    pdf_engine: str = "auto",
    public_url: str | None = None,
) -> IssuedReport:
    """Render the order's report and store it as the next version (never overwriting an earlier one).

    `public_url` is the base of the verification link printed with the QR code (default: the setting).
    """
    check_lang(lang)
    data = assemble(session=session, order=order, silence_timeout_s=silence_timeout_s, public_url=public_url)
    number = report_number(order)
    latest = session.exec(
        select(func.max(IssuedReport.version)).where(IssuedReport.report_number == number)
    ).one()
    version = (latest or 0) + 1
    issued_at = (now or utcnow()).replace(microsecond=0)
    issued_iso = issued_at.isoformat()
    # The audit chain's head as this transaction sees it, printed in the report: a checkpoint outside the
    # database in every copy handed over (`diagnose audit-log verify --expect N:VALUE`).
    chain = audit_log.head(session=session)
    audit_head = {"rows": chain.rows, "value": chain.value}
    digest = content_sha256(
        data, report_number=number, version=version, lang=lang, issued_at=issued_iso, audit_head=audit_head
    )
    stamp = Stamp(number, version, lang, issued_iso, digest, chain.rows, chain.value)
    pdf = render_pdf(data, lang, stamp, pdf_engine=pdf_engine)
    row = IssuedReport(
        order_id=order.id,  # type: ignore[arg-type]
        report_number=number,
        version=version,
        lang=lang,
        content_sha256=digest,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        size_bytes=len(pdf),
        pdf=pdf,
        data={"stamp": {"issued_at": issued_iso, "audit_head": audit_head}, "data": to_dict(data)},
        issued_by=actor.id if isinstance(actor, User) else None,
        issued_at=issued_at,
    )
    session.add(row)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="report.issue",
        entity="order",
        entity_id=order.id,
        detail={
            "report_number": number,
            "version": version,
            "lang": lang,
            "content_sha256": digest,
            "pdf_sha256": row.pdf_sha256,
        },
    )
    notifications.notify(session=session, order=order, event="issue", actor=actor)  # the parties are told
    return row


def footer_claim(pdf: bytes) -> tuple[str, int, str] | None:
    """(report number, version, content hash) printed in a PDF's footer, read with pdftotext; None if absent."""
    tool = shutil.which("pdftotext")
    if tool is None:
        raise RuntimeError("pdftotext (poppler-utils) is required to read a report's footer")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(
            [tool, "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            timeout=PDFTOTEXT_TIMEOUT_S,
            check=False,
        )
    if done.returncode != 0:
        return None
    match = FOOTER.search(done.stdout.decode("utf-8", "replace"))
    return (match.group(1), int(match.group(2)), match.group(3)) if match else None


def verify_pdf(*, session: Session, pdf: bytes) -> Verification:
    """Check a file's bytes against the issued reports; for a mismatch, say what its footer claims."""
    digest = hashlib.sha256(pdf).hexdigest()
    row = session.exec(select(IssuedReport).where(IssuedReport.pdf_sha256 == digest)).first()
    if row is not None:
        return Verification(
            "issued",
            f"issued report {row.report_number} v{row.version} ({row.lang}), "
            f"issued {row.issued_at.isoformat()}; bytes match",
            row.report_number,
            row.version,
            row.content_sha256,
            digest,
        )
    claim = footer_claim(pdf)
    if claim is None:
        return Verification("unknown", "not an issued report: no report footer found", pdf_sha256=digest)
    number, version, claimed_hash = claim
    row = session.exec(
        select(IssuedReport).where(IssuedReport.report_number == number, IssuedReport.version == version)
    ).first()
    if row is None:
        return Verification(
            "unknown",
            f"claims to be report {number} v{version}, but no such report was issued",
            number,
            version,
            claimed_hash,
            digest,
        )
    hash_note = (
        "its footer hash matches the issued content"
        if claimed_hash == row.content_sha256
        else "its footer hash differs from the issued content"
    )
    return Verification(
        "altered",
        f"claims to be report {number} v{version} but was altered: its bytes differ from the issued file "
        f"({hash_note})",
        number,
        version,
        claimed_hash,
        digest,
    )


@dataclass(frozen=True)
class PublicVerdict:
    """What the public verification page may say: the verdict and, for an issued report, no more than its
    number, the enterprise's name, the issue date (Beijing time) and the maturity level (for the report of a
    visit rating the SME digital level alone: that level, in words)."""

    verdict: str  # issued | altered | unknown
    report_number: str = ""
    version: int = 0
    enterprise_name: str = ""
    issued_on: str = ""
    level: int | None = None
    sme_level_zh: str = ""  # an SME-only report's level (一级 …); "" for a CMMM report


MIN_HASH_CHARS = 16
REF = re.compile(r"^(R-[A-Za-z0-9-]+?)-v(\d+)$")


def _public(row: IssuedReport) -> PublicVerdict:
    from scoring.china_time import to_china

    data = row.data.get("data", {})
    summary, sme = data.get("summary") or {}, data.get("sme") or {}  # an SME-only report has no summary
    return PublicVerdict(
        "issued",
        row.report_number,
        row.version,
        str(data.get("cover", {}).get("enterprise_name", "")),
        to_china(row.issued_at).date().isoformat(),
        int(summary.get("level", 0)) if summary else None,
        "" if summary else str(sme.get("level_zh", "")),
    )


def verify_reference(*, session: Session, reference: str, digest: str) -> PublicVerdict:
    """Check a printed reference (`R-…-vN`) and hash (the content or PDF SHA-256, at least 16 hex characters)."""
    match = REF.match(reference.strip())
    digest = digest.strip().lower()
    if match is None or not (MIN_HASH_CHARS <= len(digest) <= 64 and re.fullmatch(r"[0-9a-f]+", digest)):
        return PublicVerdict("unknown")
    number, version = match.group(1), int(match.group(2))
    row = session.exec(
        select(IssuedReport).where(IssuedReport.report_number == number, IssuedReport.version == version)
    ).first()
    if row is None:
        return PublicVerdict("unknown")
    if row.content_sha256.startswith(digest) or row.pdf_sha256.startswith(digest):
        return _public(row)
    return PublicVerdict("altered", number, version)


def verify_file(*, session: Session, pdf: bytes) -> PublicVerdict:
    """An uploaded file: issued only when its bytes are an issued PDF; altered when it claims one."""
    found = verify_pdf(session=session, pdf=pdf)
    if found.verdict == "issued":
        row = session.exec(select(IssuedReport).where(IssuedReport.pdf_sha256 == found.pdf_sha256)).first()
        assert row is not None
        return _public(row)
    if found.verdict == "altered":
        return PublicVerdict("altered", found.report_number, found.version)
    return PublicVerdict("unknown")
