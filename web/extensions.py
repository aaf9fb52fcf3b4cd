"""Flask extensions, each registering itself with init_app: CSRF, i18n, rate limiting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.support import NullTranslations
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from jinja2 import pass_context
from jinja2.ext import (  # the callables Jinja's i18n extension installs (newstyle): escaping and %(name)s
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)
from jinja2.runtime import Context
from markupsafe import Markup

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


def request_translations() -> NullTranslations:
    """The request's catalogue, looked up once per request and locale. flask-babel looks it up on every
    call (about 10 µs; an order list translates some 140 strings)."""
    cache: dict[str, NullTranslations] = g.setdefault("_translations", {})
    locale = str(get_locale())
    found = cache.get(locale)
    if found is None:
        found = cache[locale] = get_translations()
    return found


MARKUP_CACHE_MAX = 10_000  # translated template strings kept as Markup per catalogue (templates hold ~2,000)


def _formatted(text: Markup | str, variables: dict[str, Any]) -> Markup | str:
    # Jinja's newstyle gettext always formats (`%%` reads `%`); Markup's `%` costs some 20 µs even with
    # nothing to fill in, and a page translates 100-300 strings, so only a string that can change is formatted.
    return text % variables if variables or "%" in text else text


def _new_gettext(lookup: Callable[[str], str], cache: dict[str, Markup] | None = None) -> Callable[..., Any]:
    """Jinja's newstyle `gettext` (the translation escaped-safe under autoescape, `%(name)s` filled in and
    escaped), formatting only when there is something to format; with `cache`, each string's Markup is made
    once per catalogue."""

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> Markup | str:
        if not context.eval_ctx.autoescape:
            return _formatted(lookup(string), variables)
        if cache is None:
            return _formatted(Markup(lookup(string)), variables)
        found = cache.get(string)
        if found is None:
            found = Markup(lookup(string))
            if len(cache) < MARKUP_CACHE_MAX:
                cache[string] = found
        return _formatted(found, variables)

    return gettext


def _markup_cache(catalogue: NullTranslations) -> dict[str, Markup]:
    """Translated strings as Markup, kept on the catalogue (flask-babel keeps one per locale for the process)."""
    cache: dict[str, Markup] | None = getattr(catalogue, "_diagnose_markup", None)
    if cache is None:
        cache = {}
        catalogue._diagnose_markup = cache  # type: ignore[attr-defined]
    return cache


CATALOGUE = "_catalogue"  # the render context's name for the catalogue its strings are translated with


def catalogue_context() -> dict[str, object]:
    """A render's gettext callables bound to the request's catalogue, looked up once for the render: they
    take precedence over the environment's (which look it up per string, for templates imported without
    context, such as macros) and the label filters read it from the context."""
    catalogue = request_translations()
    gettext = _new_gettext(catalogue.ugettext, _markup_cache(catalogue))
    return {
        CATALOGUE: catalogue,
        "gettext": gettext,
        "_": gettext,
        "ngettext": _make_new_ngettext(catalogue.ungettext),
        "pgettext": _make_new_pgettext(catalogue.upgettext),
        "npgettext": _make_new_npgettext(catalogue.unpgettext),
    }


def init_app(app: Flask) -> None:
    """Register the extensions on the app."""
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    # The environment's gettext (macros imported without the render's context) formats only when needed too.
    environment_gettext = _new_gettext(lambda s: request_translations().ugettext(s))
    app.jinja_env.globals.update(gettext=environment_gettext, _=environment_gettext)
    limiter.init_app(app)

    @app.context_processor
    def _locale_context() -> dict[str, object]:
        return {"current_lang": session.get("lang", "zh"), "tz_cn": CHINA_TZ, **catalogue_context()}
