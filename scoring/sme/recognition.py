"""What an SME digital-level rating counts for (专精特新 recognition) and what an on-site rating is not, as cited
data (`data/recognition.json`); unconfirmed sentences carry the index's notice (以正式文件为准)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from scoring.sme.model import SmeIndex, load_index


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    text_zh: str
    confirmed: bool
    source: str


@cache
def recognition_notes() -> tuple[Note, ...]:
    """The sentences, in order; each record must name its source."""
    raw = json.loads(
        resources.files("scoring.sme.data").joinpath("recognition.json").read_text(encoding="utf-8")
    )
    notes = tuple(Note(r["id"], r["text_zh"], bool(r["confirmed"]), r["source"]) for r in raw["records"])
    missing = [n.id for n in notes if not n.source.strip() or not n.text_zh.strip()]
    if missing:
        raise ValueError(f"recognition.json: record(s) without text or source: {', '.join(missing)}")
    return notes


def recognition_text_zh(index: SmeIndex | None = None) -> str:
    """One paragraph: every sentence, an unconfirmed one followed by the notice of `index` (default: the
    packaged version's, （以正式文件为准））."""
    notice = (index or load_index()).notice_zh
    return "".join(
        n.text_zh if n.confirmed else n.text_zh.removesuffix("。") + f"（{notice}）。"
        for n in recognition_notes()
    )
