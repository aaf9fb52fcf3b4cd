"""Message catalogue upkeep: extract msgids, merge them into the zh catalogue, compile.

Usage: python scripts/i18n.py            (extract + update + compile)
       python scripts/i18n.py --check    (exit 1 if a msgid lacks a Chinese translation, or a translation's
                                         placeholders differ from its msgid's: a bad merge of the .po can
                                         join two entries, and the page then fails with a KeyError)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "web" / "translations"
POT = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def extract() -> None:
    """Write messages.pot from the code and templates."""
    subprocess.run(
        [
            *PYBABEL,
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "-o",
            str(POT),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def untranslated() -> list[str]:
    """msgids with no Chinese translation (or marked fuzzy)."""
    with ZH_PO.open("rb") as handle:
        catalog = read_po(handle)
    return [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]


def broken() -> list[str]:
    """Translations Babel's checkers refuse (a placeholder the msgid lacks, or one left out)."""
    with ZH_PO.open("rb") as handle:
        catalog = read_po(handle)
    return [f"{message.id}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]


def main() -> int:
    """Run the chosen action."""
    if "--check" in sys.argv:
        missing = untranslated()
        for msgid in missing:
            print(f"untranslated: {msgid}")
        wrong = broken()
        for problem in wrong:
            print(f"broken translation: {problem}")
        return 1 if missing or wrong else 0
    extract()
    if ZH_PO.exists():
        subprocess.run(
            [*PYBABEL, "update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh", "--no-fuzzy-matching"],
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run(
            [*PYBABEL, "init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh"],
            check=True,
            capture_output=True,
        )
    subprocess.run(
        [*PYBABEL, "compile", "-d", str(TRANSLATIONS), "-l", "zh"], check=True, capture_output=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
