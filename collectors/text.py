"""Which text the collectors store: checked at the parser, refused (never replaced) with a reason. Pure.

A lone UTF-16 surrogate (`"\\ud800"` in JSON, plain ASCII on the wire) cannot be encoded as UTF-8, so
neither SQLite nor PostgreSQL can take it; PostgreSQL's text refuses U+0000 (NUL). Names a device gives
(metric names, a birth's kind and model) are shown on pages and in reports, so they refuse every control
character and line/paragraph separator too. Text a payload carries but the platform does not store is
ignored, whatever it holds: a PLC string padded with NULs does not cost its device the reading.
"""

from __future__ import annotations

import unicodedata

# Unicode general categories refused in a stored name: controls (C0, DEL, C1; NUL among them), lone
# surrogates, and the line and paragraph separators. Spaces (Zs, U+3000 among them), CJK, private-use and
# format characters are kept.
REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def name_problem(value: str) -> str | None:
    """Why `value` cannot be stored as a name, or None. Cheap for the common, printable case."""
    if value.isprintable():  # one C-level pass; false for every refused character (and for a few kept ones)
        return None
    for character in value:
        if unicodedata.category(character) in REFUSED_CATEGORIES:
            return f"{describe(character)} is not allowed in names"
    return None


def describe(character: str) -> str:
    """`U+D800 (a lone surrogate)`: a refused character named for a dead letter's reason."""
    code = ord(character)
    if code == 0:
        kind = "NUL"
    elif 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate"
    elif unicodedata.category(character) == "Cc":
        kind = "a control character"
    else:
        kind = "a line or paragraph separator"
    return f"U+{code:04X} ({kind})"


def storable(text: str, limit: int) -> str:
    """`text` made safe for the collector's own diagnostic columns (a dead letter's topic and reason), cut to
    `limit` characters: NUL and lone surrogates are written as escapes. Only for what the collector writes
    about a message, never for the message's data."""
    if text.isascii() and "\x00" not in text:
        return text[:limit]
    cleaned = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return cleaned[:limit]
