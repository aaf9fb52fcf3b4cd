"""The report's data-built sentences (key findings, claimed-versus-measured verdicts) come from the Babel catalogue:
the English msgid and its Chinese, filled in; the wording is the one issued before (pinned here)."""

from __future__ import annotations

from reports import sections
from reports.data import NodeRow, Roadmap, Text


def _domain(i: int, at_level_1: float) -> NodeRow:
    return NodeRow(
        f"D{i}", "domain", f"能力域{i}", f"Domain {i}", "", (at_level_1, None, None, None, None), 0.5
    )


ROADMAP = Roadmap(3, 0, 3, 2.5, True, 123456789, 2345600, 123456789 - 2345600, 0, (), (), ())


def test_the_key_findings_read_as_issued_in_both_languages() -> None:
    found = sections.findings(0, [_domain(1, 0.1), _domain(4, 0.4)], None, None, None, 0, ROADMAP)
    assert found == (
        Text(
            "对照1级要求，最强的能力域是「能力域4」（40.0%），最薄弱的是「能力域1」（10.0%），应优先补强。",
            "Against the level 1 requirements the strongest domain is Domain 4 (40.0%) and the weakest is Domain 1 "
            "(10.0%), which comes first.",
        ),
        Text(
            "设备联网率 —，数据采集覆盖率 —，工厂 OEE —；自评与实测一致。",
            "Device networking rate —, data-capture coverage —, plant OEE —; Self-assessment agrees with the data.",
        ),
        Text(
            "实施 0 项改进可达到 3 级，估算投入 ¥1,234,567.89，可获补贴 ¥23,456.00，净投入 ¥1,211,111.89。",
            "0 improvements reach level 3 for an estimated ¥1,234,567.89, earning ¥23,456.00 in subsidy: "
            "¥1,211,111.89 net.",
        ),
    )


def test_a_contradiction_names_three_ratings_in_words_and_points_to_the_decision() -> None:
    rows = [
        {"requirement_id": "R12", "claimed": None, "proposed": 0.5, "final": 0.5, "contradiction": True},
        {"requirement_id": "R10", "tailored": True},
    ]
    assert sections.reconciled_texts(rows) == (
        Text(
            "R12：自评「未答」，实测支持「部分满足」，计分采用「部分满足」（相差一档以上，核对结论见上表）。",
            "R12: claimed not answered, data support partly met, scored as partly met (more than one step apart: "
            "see the decision above).",
        ),
        Text("R10：已裁剪，不计分。", "R10: tailored out, not scored."),
    )
