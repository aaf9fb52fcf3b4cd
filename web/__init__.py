"""Flask application factory: one blueprint per role, settings passed in explicitly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, redirect, url_for
from flask_openapi3 import OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from diagnose.settings import Settings, load_settings


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` everywhere: a number beyond 18 digits (so below 2⁶³, what the database driver takes) matches no
    route (404) instead of overflowing.

    At most 18 digits by the pattern itself: a converter that refuses a matched value makes werkzeug answer
    405 instead of 404 for methods other than GET, so the bound must be in the regex."""

    regex = r"\d{1,18}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 10**18 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(
    settings: Settings | None = None,
    test_config: dict[str, Any] | None = None,
    *,
    replay: Callable[..., Any] | None = None,
) -> Flask:
    """Build the web app for these settings (environment settings if none are given).

    `replay` re-parses dead letters (collectors.replay.replay, handed in by the composition root in apps/).
    """
    settings = settings or load_settings()
    from web import api

    app = OpenAPI(__name__, **api.openapi_options())
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(
        SECRET_KEY=settings.effective_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_lifetime_min),
        # Bodies above these answer 413 before anything is parsed; each import then has its own caps
        # (diagnose.services.shopfloor.import_files). A form field may be as large as an import file: the ledger's
        # confirm step sends the checked rows back in one.
        MAX_CONTENT_LENGTH=settings.upload_max_bytes,
        MAX_FORM_MEMORY_SIZE=settings.import_max_bytes,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES="translations",
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        # A sliding window: a fixed one lets twice the limit through around its boundary (10 at 12:00:59,
        # 10 more at 12:01:00); the moving window counts every hit of the last minute, in Redis for all workers.
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    if test_config:
        app.config.update(test_config)
    if settings.web_trusted_proxies:
        # Behind nginx: the client address (rate limits, logs) and scheme come from its X-Forwarded-* headers.
        n = settings.web_trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.extensions["diagnose_settings"] = settings
    if replay is not None:
        app.extensions["diagnose_replay"] = replay

    from web import db, errors, extensions, forms, labels, messages, ops, scope, sessions

    sessions.init_app(app)
    db.init_app(app, settings)
    ops.init_app(app)
    extensions.init_app(app)
    labels.init_app(app)
    messages.init_app(app)
    forms.init_app(app)
    scope.init_app(app)

    from web import (
        admin,
        auth,
        bureau,
        connection_check,
        enterprise,
        notifications,
        orders,
        plant,
        plant_records,
        policies,
        provider,
        report_views,
        sme,
        sme_index,
        supervision,
        verify,
    )

    blueprints = (
        auth.bp,
        orders.bp,
        bureau.bp,
        provider.bp,
        sme.bp,
        plant.bp,
        plant_records.bp,
        enterprise.bp,
        admin.bp,
        supervision.bp,
        report_views.bp,
        verify.bp,
        policies.bp,
        sme_index.bp,
        connection_check.bp,
        notifications.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    api.register(app)
    errors.init_app(app)  # after the API's: one handler for every error, pages and /api/ alike

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Defence in depth behind autoescaping: no inline or foreign scripts, no framing, no sniffing.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.get("/", doc_ui=False)
    def index() -> Response:
        return redirect(url_for("auth.home"))

    return app
