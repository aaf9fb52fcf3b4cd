"""Pure builders of report sections from a stored scoring result (Result.detail) and plain rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from diagnose.wording.catalogue import N_, _
from reports.data import GapRow, NodeRow, Roadmap, Segment, StepRow, SubsidyLine, Summary, Text

STATE_ORDER = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF", "UNKNOWN")
LEVEL_NAMES = {
    0: Text("未达一级", "below level 1"),
    1: Text("规划级", "Planning"),
    2: Text("规范级", "Standardised"),
    3: Text("集成级", "Integrated"),
    4: Text("优化级", "Optimised"),
    5: Text("引领级", "Leading"),
}


def yuan(fen: int) -> str:
    """Integer fen as money, e.g. 104500000 -> '¥1,045,000.00' (grouped, two decimals, no float)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def cny_to_fen(value: Any) -> int:
    """Yuan as int, Decimal text or None -> integer fen, exactly."""
    if value is None or value == "":
        return 0
    return int(Decimal(str(value)) * 100)


def pct(value: float | None) -> str:
    """A ratio as a percentage with one decimal, or an em dash when unknown."""
    return "—" if value is None else f"{value * 100:.1f}%"


def nodes(kind: str, rows: Sequence[Mapping[str, Any]], parents: Mapping[str, str]) -> tuple[NodeRow, ...]:
    """Score rows of one kind (score.elements/domains/subdomains) as NodeRows."""
    return tuple(
        NodeRow(
            id=r["id"],
            kind=kind,
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            parent=parents.get(r["id"], ""),
            by_level=tuple(r["by_level"].get(str(lv)) for lv in range(1, 6)),
            overall=r.get("overall"),
        )
        for r in rows
    )


def _said(msgid: str, zh: dict[str, Any] | None = None, **params: Any) -> Text:
    """A sentence template of the catalogue in both languages: the English msgid and its Chinese, each filled in
    (`zh` overrides the parameters that differ, such as names)."""
    return Text(_(msgid, **(params | (zh or {}))), msgid % params if params else msgid)


def _focus_level(level: int) -> int:
    return min(level + 1, 5)


def findings(
    summary_level: int,
    domains: Sequence[NodeRow],
    networking_rate: float | None,
    coverage: float | None,
    oee: float | None,
    contradictions: int,
    roadmap: Roadmap,
    measured: Text | None = None,
) -> tuple[Text, ...]:
    """Three key findings: where the plant stands by domain, what the data shows, what the roadmap brings.

    `measured` (reports/evidence_notes.measured_sentence) replaces the sentence on the measured data.
    """
    focus = _focus_level(summary_level)
    scored = [(d.by_level[focus - 1], d) for d in domains if d.by_level[focus - 1] is not None]
    scored.sort(key=lambda pair: (pair[0], pair[1].id))
    if scored:
        (low, weak), (high, strong) = scored[0], scored[-1]
        first = _said(
            N_(
                "Against the level %(focus)s requirements the strongest domain is %(strong)s (%(high)s) and the "
                "weakest is %(weak)s (%(low)s), which comes first."
            ),
            {"strong": strong.name_zh, "weak": weak.name_zh},
            focus=focus,
            strong=strong.name_en,
            high=pct(high),
            weak=weak.name_en,
            low=pct(low),
        )
    else:
        first = _said(N_("No domain could be scored."))
    if contradictions:
        mismatch = _said(
            N_("%(n)s self-assessed ratings contradicted the data: the assessors decided each (see 3.3)."),
            n=contradictions,
        )
    else:
        mismatch = _said(N_("Self-assessment agrees with the data."))
    second = measured or _said(
        N_(
            "Device networking rate %(rate)s, data-capture coverage %(coverage)s, plant OEE %(oee)s; %(mismatch)s"
        ),
        {"mismatch": mismatch.zh},
        rate=pct(networking_rate),
        coverage=pct(coverage),
        oee=pct(oee),
        mismatch=mismatch.en,
    )
    money = {
        "cost": yuan(roadmap.cost_fen),
        "subsidy": yuan(roadmap.subsidy_fen),
        "net": yuan(roadmap.net_cost_fen),
    }
    steps, level = len(roadmap.steps), roadmap.final_level
    if roadmap.reached:
        third = _said(
            N_(
                "%(steps)s improvements reach level %(level)s for an estimated %(cost)s, earning %(subsidy)s in "
                "subsidy: %(net)s net."
            ),
            steps=steps,
            level=level,
            **money,
        )
    else:
        third = _said(
            N_(
                "%(steps)s improvements approach level %(level)s for an estimated %(cost)s, earning %(subsidy)s in "
                "subsidy: %(net)s net."
            ),
            steps=steps,
            level=level,
            **money,
        )
    return (first, second, third)


def summary(score: Mapping[str, Any], found: tuple[Text, ...]) -> Summary:
    """Level, total score S and level scores from the stored score."""
    level = int(score["level"])
    return Summary(
        level=level,
        level_name=LEVEL_NAMES.get(level, LEVEL_NAMES[0]),
        score=float(score["score"]),
        level_scores=tuple(float(x) for x in score["level_scores"]),
        findings=found,
    )


def roadmap(detail: Mapping[str, Any], subdomain_names: Mapping[str, Text]) -> Roadmap:
    """Gaps, roadmap steps (subsidy per step from the cumulative figures) and subsidy lines."""
    plan = detail.get("roadmap") or {}
    subsidy = detail.get("subsidy") or {}
    unknown = Text("", "")
    gaps = tuple(
        GapRow(
            requirement_id=g["requirement_id"],
            subdomain=subdomain_names.get(g["subdomain"], unknown),
            level=int(g["level"]),
            current=float(g["current"]),
            priority=float(g["priority"]),
            statement=Text(g["statement_zh"], g["statement_en"]),
        )
        for g in (detail.get("gaps") or {}).get("gaps", [])
    )
    gaps = priority_bands(gaps, int((detail.get("score") or {}).get("level", plan.get("start_level", 0))))
    steps, earned = [], 0
    for s in plan.get("steps", []):
        cumulative = cny_to_fen(s["cumulative_subsidy_cny"])
        low, high = s.get("cost_range_cny") or (s["cost_cny"], s["cost_cny"])
        steps.append(
            StepRow(
                action_id=s["action_id"],
                name=Text(s["name_zh"], s["name_en"]),
                category=s.get("category", ""),
                cost_fen=cny_to_fen(s["cost_cny"]),
                cost_low_fen=cny_to_fen(low),
                cost_high_fen=cny_to_fen(high),
                duration_weeks=int(s.get("duration_weeks", 0)),
                level_after=int(s["level_after"]),
                score_after=float(s["score_after"]),
                subsidy_fen=cumulative - earned,
                cumulative_cost_fen=cny_to_fen(s["cumulative_cost_cny"]),
                cumulative_subsidy_fen=cumulative,
            )
        )
        earned = cumulative
    lines = tuple(
        SubsidyLine(
            policy=line.get("policy", ""),
            clause=str(line.get("clause", "")),
            clause_id=line.get("clause_id", ""),
            source_file=line.get("source_file", ""),
            target=line.get("target", ""),
            target_name_zh=line.get("target_name_zh", ""),
            status=line.get("status", ""),
            amount_fen=int(line.get("amount_fen", 0)),
            explanation=line.get("explanation", ""),
            quote=line.get("quote", ""),
        )
        for line in subsidy.get("lines", [])
    )
    return Roadmap(
        target_level=int(plan.get("target_level", 0)),
        start_level=int(plan.get("start_level", 0)),
        final_level=int(plan.get("final_level", 0)),
        final_score=float(plan.get("final_score", 0)),
        reached=bool(plan.get("reached", False)),
        cost_fen=cny_to_fen(plan.get("cost_cny")),
        subsidy_fen=int(subsidy.get("total_fen", cny_to_fen(plan.get("subsidy_cny")))),
        net_cost_fen=cny_to_fen(plan.get("cost_cny")) - int(subsidy.get("total_fen", 0)),
        upper_bound_fen=int(subsidy.get("upper_bound_fen", 0)),
        gaps=gaps,
        steps=tuple(steps),
        subsidy_lines=lines,
    )


def priority_bands(gaps: tuple[GapRow, ...], level: int) -> tuple[GapRow, ...]:
    """高/中/低: the next level's gaps with the better half of gain per effort are high, the rest of the
    next level (and any lower) medium, gaps of higher levels low."""
    focus = _focus_level(level)
    near = sorted((g.priority for g in gaps if g.level <= focus), reverse=True)
    cut = near[(len(near) - 1) // 2] if near else 0.0
    return tuple(
        dataclasses.replace(
            g, band="low" if g.level > focus else "high" if g.priority >= cut and g.priority > 0 else "medium"
        )
        for g in gaps
    )


RATING_WORDS = {
    "zh": {1.0: "全部满足", 0.8: "大部分满足", 0.5: "部分满足", 0.0: "不满足"},
    "en": {1.0: "fully met", 0.8: "mostly met", 0.5: "partly met", 0.0: "not met"},
}


def rating_words(value: Any, lang: str) -> str:
    """A rating as its label (全部满足 …), never a number; 未答 when there is none."""
    if value is None or value == "":
        return "未答" if lang == "zh" else "not answered"
    return RATING_WORDS[lang].get(round(float(value), 2), "—")


def reconciled_texts(rows: Iterable[Mapping[str, Any]]) -> tuple[Text, ...]:
    """Claimed-versus-measured verdicts in rating labels, contradictions first (their decision is in the
    自评与实测核对 table, never a note for internal review)."""
    ordered = sorted(rows, key=lambda r: (not r.get("contradiction"), r["requirement_id"]))
    texts = []
    for r in ordered:
        rid = r["requirement_id"]
        if r.get("tailored"):
            texts.append(_said(N_("%(rid)s: tailored out, not scored."), rid=rid))
            continue
        names = ("claimed", "proposed", "final")
        zh = {name: rating_words(r.get(name), "zh") for name in names}
        en = {name: rating_words(r.get(name), "en") for name in names}
        if r.get("contradiction"):
            texts.append(
                _said(
                    N_(
                        "%(rid)s: claimed %(claimed)s, data support %(proposed)s, scored as %(final)s (more than one "
                        "step apart: see the decision above)."
                    ),
                    zh,
                    rid=rid,
                    **en,
                )
            )
        else:
            texts.append(
                _said(
                    N_("%(rid)s: claimed %(claimed)s, data support %(proposed)s, scored as %(final)s."),
                    zh,
                    rid=rid,
                    **en,
                )
            )
    return tuple(texts)


def coarse_timeline(
    segments: Iterable[tuple[datetime, datetime, str]], start: datetime, hours: float, bucket_s: int = 900
) -> tuple[Segment, ...]:
    """Buckets of `bucket_s` seconds labelled with their longest state, merged into runs (chart-sized)."""
    count = max(1, int(hours * 3600 // bucket_s))
    spent: list[dict[str, float]] = [{} for _ in range(count)]
    for seg_start, seg_end, state in segments:
        a = (seg_start - start).total_seconds()
        b = (seg_end - start).total_seconds()
        first, last = max(0, int(a // bucket_s)), min(count - 1, int((b - 1e-9) // bucket_s))
        for index in range(first, last + 1):
            low, high = max(a, index * bucket_s), min(b, (index + 1) * bucket_s)
            if high > low:
                spent[index][state] = spent[index].get(state, 0.0) + high - low
    runs: list[Segment] = []
    for index, by_state in enumerate(spent):
        state = max(STATE_ORDER, key=lambda s: (by_state.get(s, 0.0), -STATE_ORDER.index(s)))
        state = state if by_state else "UNKNOWN"
        begin, end = index * bucket_s / 3600, (index + 1) * bucket_s / 3600
        if runs and runs[-1].state == state:
            runs[-1] = Segment(runs[-1].start_h, round(end, 4), state)
        else:
            runs.append(Segment(round(begin, 4), round(end, 4), state))
    return tuple(runs)
