"""Flask extensions, each registering itself with init_app: CSRF, i18n, rate limiting."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from scoring.china_time import CHINA_TZ

LOCALES = ("zh", "en")

csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """Chinese first; English when the user chose it (?lang=en is remembered in the session)."""
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        session["lang"] = chosen
    return session.get("lang", "zh")


def init_app(app: Flask) -> None:
    """Register the extensions on the app."""
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    @app.context_processor
    def _locale_context() -> dict[str, object]:
        return {"current_lang": session.get("lang", "zh"), "tz_cn": CHINA_TZ}
