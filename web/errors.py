"""Branded error pages (403/404/500/503) with a way back, and lock contention answered as 503, not 500.

A locked database ("database is locked" on SQLite, a lock timeout or deadlock on PostgreSQL) is a passing
condition: the request is answered 503 with Retry-After, a Chinese page for people and JSON under /api, so
clients (the questionnaire autosave among them) try again instead of losing what was typed.
"""

from __future__ import annotations

import json

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

RETRY_AFTER_S = 5
LOCK_MARKERS = (
    "database is locked",
    "database table is locked",
    "lock timeout",
    "could not obtain lock",
    "deadlock detected",
)
TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("The file is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The platform is busy"),
}
EXPLANATIONS = {
    403: _l("Your account's role or organisation does not cover this page."),
    404: _l("The address may be mistyped, or what it pointed to is not in your scope."),
    500: _l("The error has been logged. Please try again; if it persists, report it to the administrator."),
    503: _l("Another task is writing to the database. Nothing was lost: please try again in a few seconds."),
}


def is_lock_contention(exc: BaseException) -> bool:
    """Whether a database error is a lock that will pass (so the answer is 503 and a retry)."""
    return isinstance(exc, OperationalError) and any(m in str(exc).lower() for m in LOCK_MARKERS)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json" or request.is_json
    )


def error_response(code: int, detail: str = "") -> Response:
    """The branded page (or JSON for the API and for script calls) for an HTTP error code."""
    title = str(TITLES.get(code, TITLES[500] if code >= 500 else TITLES[400]))
    if request.path.startswith("/api/"):
        from web.api.base import error_response as api_error  # the API's one error body (ErrorOut)

        response: Response = api_error(code, detail or str(EXPLANATIONS.get(code, "")) or title)
    elif _wants_json():
        body = {"error": title, "message": str(EXPLANATIONS.get(code, "")) or detail, "code": code}
        response = Response(json.dumps(body, ensure_ascii=False), status=code, mimetype="application/json")
    else:
        html = render_template(
            "errors/error.html",
            code=code,
            title=title,
            explanation=EXPLANATIONS.get(code, ""),
            detail=detail,
            back=request.referrer if request.referrer and request.referrer != request.url else None,
        )
        response = Response(html, status=code, mimetype="text/html")
    if code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    """Register the handlers on the app, after the API's (blueprints still answer their own errors first):
    pages get the branded page, /api/ paths the API's JSON error body."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        if exc.code is None or exc.code < 400:
            return exc  # type: ignore[return-value]
        api = request.path.startswith("/api/")
        detail = str(exc.description or exc.name) if api or exc.code in (400, 413) else ""
        response = error_response(exc.code, detail)
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError) -> Response:
        _rollback()
        if is_lock_contention(exc):
            app.logger.warning("lock contention on %s %s: %s", request.method, request.path, exc.orig)
            return error_response(503)
        app.logger.exception("database error on %s %s", request.method, request.path)
        return error_response(500)

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError) -> Response:
        original = getattr(exc, "original_exception", None)
        if original is not None and is_lock_contention(original):
            _rollback()
            return error_response(503)
        return error_response(500)
