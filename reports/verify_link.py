"""The verification link printed on an issued report: short URL and QR code to the public page."""

from __future__ import annotations

import base64
import io

HASH_CHARS = 16  # hex characters of the content SHA-256 in the short link (64 bits)


def short_path(report_number: str, version: int, content_sha256: str) -> str:
    """`/v/<number>-v<N>/<first 16 hex of the content hash>`: what the public page checks."""
    return f"/v/{report_number}-v{version}/{content_sha256[:HASH_CHARS]}"


def verify_url(base_url: str, report_number: str, version: int, content_sha256: str) -> str:
    """The full verification URL (base URL of the platform + short path)."""
    return base_url.rstrip("/") + short_path(report_number, version, content_sha256)


def qr_data_uri(url: str) -> str:
    """The URL as a QR code (segno, error correction M), an SVG data URI the PDF and the page embed."""
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, dark="#1d2733")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def qr_png(url: str) -> bytes:
    """The URL as a QR code in PNG (for the Word copy, which draws no SVG of its own)."""
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=2, dark="#1d2733")
    return buffer.getvalue()
