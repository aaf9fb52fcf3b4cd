"""The Chinese message catalogue outside a request: the pages' Babel catalogue, for reports, jobs and services."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import Translations

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


@lru_cache(maxsize=1)
def chinese() -> Translations:
    """The compiled zh catalogue; RuntimeError when it is missing (a Chinese report must never fall back to
    its English msgids)."""
    found = Translations.load(str(TRANSLATIONS), ["zh"])
    if not isinstance(found, Translations):
        raise RuntimeError(f"no compiled Chinese catalogue under {TRANSLATIONS}: run scripts/i18n.py")
    return found


def _(msgid: str, **params: object) -> str:
    """A sentence template in Chinese, its %(name)s placeholders filled (msgids are extracted by scripts/i18n.py)."""
    text = chinese().gettext(msgid)
    return text % params if params else text


def N_(msgid: str) -> str:  # the gettext_noop marker, extracted by scripts/i18n.py (-k N_)
    """Mark a msgid for the catalogue where another function translates it (reports' `_said`)."""
    return msgid
