"""Diagnosis reports: assemble ReportData, render HTML and PDF, issue immutable versions, verify files."""

from reports.assemble import NotReportable, assemble, has_rating
from reports.data import ReportData, Stamp, content_sha256, from_dict, to_dict
from reports.docx_report import render_docx
from reports.render import render_body, render_html, render_pdf, report_css
from reports.store import (
    PublicVerdict,
    Verification,
    data_of,
    get_version,
    issue_report,
    report_number,
    stamp_of,
    verify_file,
    verify_pdf,
    verify_reference,
    versions,
)

__all__ = [
    "NotReportable",
    "PublicVerdict",
    "ReportData",
    "Stamp",
    "Verification",
    "assemble",
    "content_sha256",
    "data_of",
    "from_dict",
    "get_version",
    "has_rating",
    "issue_report",
    "render_body",
    "render_docx",
    "render_html",
    "render_pdf",
    "report_css",
    "report_number",
    "stamp_of",
    "to_dict",
    "verify_file",
    "verify_pdf",
    "verify_reference",
    "versions",
]
