"""The pure SME functions read a corrected index passed to them (issue #26 point 1): proposals follow its bands
and leave out what it drops, the comparison names levels in each result's own words, the notice is its own."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from scoring.sme import load_index, parse_index, score_answers
from scoring.sme.compare import compare
from scoring.sme.proposals import MeasuredFigures, propose_all
from scoring.sme.recognition import recognition_text_zh


def _corrected(**change: Any) -> Any:
    raw = load_index().model_dump(mode="json")
    raw["version"] = "sme-dl-2024.p2"
    f3 = next(i for i in raw["items"] if i["id"] == "F3")
    f3["options"][3]["band"]["upto"] = "0.7"  # 40%以上至70%
    f3["options"][4]["band"]["above"] = "0.7"
    raw.update(change)
    return parse_index(raw)


FIGURES = MeasuredFigures(production_devices=20, networked_devices=13, networking_rate=Fraction(13, 20))


def test_proposals_follow_the_bands_of_the_index_passed() -> None:
    packaged = {p.target: p for p in propose_all(FIGURES)}
    corrected = {p.target: p for p in propose_all(FIGURES, index=_corrected())}
    assert packaged["F3"].value == "gt60" and corrected["F3"].value == "le60"


def test_an_item_the_corrected_index_drops_is_not_proposed() -> None:
    index = _corrected()
    raw = index.model_dump(mode="json")
    # Drop F3 and give its 6 points to F2's options, so the dimension still adds up.
    raw["items"] = [i for i in raw["items"] if i["id"] != "F3"]
    f2 = next(i for i in raw["items"] if i["id"] == "F2")
    f2["points"] = "12"
    for option, points in zip(f2["options"], ("0", "3", "6", "9", "12"), strict=True):
        option["points"] = points
    found = {p.target for p in propose_all(FIGURES, index=parse_index(raw))}
    assert "F3" not in found and "F2" in found


def test_the_comparison_names_levels_in_each_results_words_and_the_notice_is_the_index_own() -> None:
    index = _corrected(notice_zh="以工信部正式文件为准")
    answers = {
        "items": {i.id: ([] if i.kind == "multi" else i.options[0].id) for i in index.items},
        "scenarios": {s.id: 0 for s in index.scenarios},
    }
    before, after = score_answers(answers), score_answers(answers, index=index)
    assert after.index_version == "sme-dl-2024.p2"
    summary = compare(before, after).summary_zh
    assert summary.startswith(f"数字化水平保持{after.level_zh}") and "sme-dl-2024.p2" in summary
    assert "以工信部正式文件为准" in recognition_text_zh(index)
