"""The public report verification page: no login; says issued / altered / unknown, and little else.

A reader of a printed report scans its QR code (`/v/<number>-v<N>/<hash>`) or types the report number and
hash, or uploads the file. The page shows no more than the report number, the enterprise's name, the issue
date and the maturity level, and only for an issued report; it is rate-limited per client address.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

import reports
from diagnose.schemas.reports import VerifyForm
from web.db import get_session
from web.extensions import csrf, limiter
from web.forms import FormError, parse_form, typed
from web.messages import reason_of

bp = Blueprint("verify", __name__)


def _limit() -> str:
    return current_app.extensions["diagnose_settings"].verify_rate_limit  # type: ignore[no-any-return]


def _page(result: reports.PublicVerdict | None, status: int = 200, error: str = "") -> tuple[str, int]:
    return render_template("verify.html", result=result, error=error, form=typed()), status


@bp.get("/v/<reference>/<digest>")
@limiter.limit(_limit)
def by_link(reference: str, digest: str) -> tuple[str, int]:
    """The QR code's target: the report reference and the first characters of its hash."""
    result = reports.verify_reference(session=get_session(), reference=reference, digest=digest)
    return _page(result)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
@csrf.exempt
def check() -> tuple[str, int]:
    """A form: the report number and hash as printed, or the file itself."""
    if request.method == "GET":
        return _page(None)
    try:
        form = parse_form(VerifyForm)
    except FormError as exc:
        return _page(None, 400, reason_of(exc))
    if form.file is not None:
        return _page(reports.verify_file(session=get_session(), pdf=form.file.data))
    assert form.reference and form.digest  # the schema asks for both unless a file is sent
    return _page(
        reports.verify_reference(session=get_session(), reference=form.reference, digest=form.digest)
    )
