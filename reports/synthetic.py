"""A synthetic ReportData of any size (devices, answers), for tests and the benchmark; no database."""

from __future__ import annotations

import random

from reports import sections
from reports.data import (
    AnswerRow,
    AttachmentRow,
    CheckRow,
    Cover,
    DeviceEvidence,
    Evidence,
    GapRow,
    Methodology,
    NodeRow,
    ReportData,
    Roadmap,
    Segment,
    SmeDecisionRow,
    SmeSection,
    StepRow,
    SubsidyLine,
    Text,
)
from scoring.maturity import load_model

STATES = ("RUN", "IDLE", "DOWN", "PLANNED_STOP", "OFF", "UNKNOWN")


def _timeline(rng: random.Random, hours: float) -> tuple[Segment, ...]:
    segments, now = [], 0.0
    while now < hours:
        length = min(hours - now, rng.choice((0.25, 0.5, 1.0, 2.0, 4.0)))
        state = rng.choices(STATES, weights=(60, 15, 6, 8, 8, 3))[0]
        segments.append(Segment(round(now, 4), round(now + length, 4), state))
        now += length
    return tuple(segments)


def _nodes(kind: str, rng: random.Random, rows: tuple[tuple[str, str, str, str], ...]) -> tuple[NodeRow, ...]:
    out = []
    for node_id, zh, en, parent in rows:
        levels = tuple(round(max(0.0, 0.95 - 0.3 * i + rng.uniform(-0.1, 0.1)), 4) for i in range(5))
        out.append(NodeRow(node_id, kind, zh, en, parent, levels, round(sum(levels) / 5, 4)))
    return tuple(out)


# What assessors write beside an answer: where they looked and whom they asked.
_NOTES = (
    "现场查看相关记录，抽查近三个月台账 12 份，与系统数据一致。",
    "访谈车间主任与信息化负责人；查看系统截图与操作日志。",
    "制度文件已发布，但执行记录不完整，按“部分满足”评定。",
)


def make_report(*, devices: int = 10, note: str = "现场查看点检记录与系统截图", seed: int = 7) -> ReportData:
    """A plausible report with `devices` devices, every requirement of the model answered, one `note`."""
    rng = random.Random(seed)
    model = load_model()
    hours = 7 * 24.0
    names = {n.id: Text(n.name_zh, n.name_en) for n in model.subdomains}
    rows = [
        DeviceEvidence(
            external_id=f"D{i:03d}",
            name=f"数控加工中心 {i}号",
            kind="CNC",
            networked=i % 10 != 0,
            protocol="json" if i % 10 else "none",
            availability=round(rng.uniform(0.7, 0.95), 4),
            performance=round(rng.uniform(0.7, 0.95), 4),
            quality=round(rng.uniform(0.95, 0.999), 4),
            oee=round(rng.uniform(0.5, 0.8), 4),
            utilisation=round(rng.uniform(0.5, 0.8), 4),
            total_count=rng.randint(9000, 12000),
            good_count=rng.randint(8800, 9000),
            timeline=_timeline(rng, hours) if i % 10 else (),
        )
        for i in range(1, devices + 1)
    ]
    steps = tuple(
        StepRow(
            action_id=f"ACT-{k}",
            name=Text(f"改进措施 {k}", f"Improvement {k}"),
            category="equipment",
            cost_fen=k * 12_345_600,
            cost_low_fen=k * 10_000_000,
            cost_high_fen=k * 15_000_000,
            duration_weeks=4 * k,
            level_after=min(5, 2 + k // 3),
            score_after=round(1.6 + 0.2 * k, 4),
            subsidy_fen=k * 740_000,
            cumulative_cost_fen=sum(j * 12_345_600 for j in range(1, k + 1)),
            cumulative_subsidy_fen=sum(j * 740_000 for j in range(1, k + 1)),
        )
        for k in range(1, 7)
    )
    lines = tuple(
        SubsidyLine(
            policy="wj-2024",
            clause=str(k),
            clause_id=f"wj24-{k}",
            source_file="001_741d5d648757ba92.txt",
            target="retrofit_equipment_investment",
            target_name_zh="技改设备投入（智能化改造）",
            status=("paid", "superseded", "not_eligible", "not_computable")[k % 4],
            amount_fen=1_554_000 if k % 4 == 0 else 0,
            explanation=f"5% × 设备投入，上限 500,000 元（第 {k} 条）",
            quote="按设备投入的5%给予补助，最高不超过50万元",
        )
        for k in range(1, 171)  # the seed catalogue has about 170 clauses
    )
    gaps = tuple(
        GapRow(
            r.id,
            names[r.subdomain],
            r.level,
            0.5,
            round(0.05 / r.level, 6),
            Text(r.statement_zh, r.statement_en),
        )
        for r in model.requirements
        if r.level in (2, 3, 4)
    )
    roadmap = Roadmap(
        target_level=3,
        start_level=1,
        final_level=3,
        final_score=2.85,
        reached=True,
        cost_fen=sum(s.cost_fen for s in steps),
        subsidy_fen=sum(line.amount_fen for line in lines),
        net_cost_fen=sum(s.cost_fen for s in steps) - sum(line.amount_fen for line in lines),
        upper_bound_fen=10_000_000,
        gaps=gaps,
        steps=steps,
        subsidy_lines=lines,
    )
    answers = tuple(
        AnswerRow(
            requirement_id=r.id,
            subdomain=names[r.subdomain],
            level=r.level,
            statement=Text(r.statement_zh, r.statement_en),
            rating=("1", "0.8", "0.5", "0", "")[(index + r.level) % 5],
            measured="0.5" if index % 9 == 0 else "",
            evidence_note=note if index == 0 else (_NOTES[index % len(_NOTES)] if index % 3 != 2 else ""),
            tailor_reason="",
        )
        for index, r in enumerate(model.requirements)
    )
    domains = _nodes("domain", rng, tuple((n.id, n.name_zh, n.name_en, n.parent) for n in model.domains))
    evidence = Evidence(
        window_start="2026-11-17 08:00",
        window_end="2026-11-24 08:00",
        window_hours=hours,
        devices_total=devices,
        devices_networked=sum(1 for d in rows if d.networked),
        networking_rate=sum(1 for d in rows if d.networked) / devices,
        coverage=0.93,
        oee=0.642,
        availability=0.85,
        performance=0.8,
        quality=0.97,
        utilisation=0.61,
        energy_per_unit_kwh=1.234,
        devices=tuple(rows),
        reconciled=sections.reconciled_texts(
            [
                {
                    "requirement_id": "DT-L2-01",
                    "claimed": 0.8,
                    "proposed": 0.0,
                    "final": 0.8,
                    "contradiction": True,
                }
            ]
        ),
    )
    summary = sections.summary(
        {"level": 2, "score": 2.1234, "level_scores": [0.95, 0.85, 0.32, 0.0, 0.0]},
        sections.findings(2, domains, evidence.networking_rate, 0.93, 0.642, 1, roadmap),
    )
    return ReportData(
        cover=Cover(
            order_number="ZD2026-02-0001",
            order_kind="factory",
            enterprise_name="常州恒锐精密机械有限公司",
            enterprise_uscc="91320412MA000001XY",
            region_name="武进区",
            industry_code="3421",
            scale="medium",
            provider_name="江苏智造诊断咨询有限公司",
            bureau_name="常州市武进区工业和信息化局",
            created_on="2026-10-01",
            visit_on="2026-11-10",
            submitted_on="2026-11-24",
            accepted_on="",
            scored_at="2026-11-24 08:00",
        ),
        summary=summary,
        elements=_nodes("element", rng, tuple((n.id, n.name_zh, n.name_en, "") for n in model.elements)),
        domains=domains,
        subdomains=_nodes(
            "subdomain", rng, tuple((n.id, n.name_zh, n.name_en, n.parent) for n in model.subdomains)
        ),
        evidence=evidence,
        roadmap=roadmap,
        answers=answers,
        attachments=(AttachmentRow(answers[0].requirement_id, "点检记录.pdf", 1234, "ab" * 32),),
        methodology=Methodology(
            industry_type="discrete",
            versions=(("model", model.version), ("weights_and_thresholds", model.table_version)),
            input_hash="cd" * 32,
            rated=160,
            unanswered=40,
            tailored=0,
            evidence_window_days=7,
            silence_timeout_s=600.0,
        ),
        checks=(
            CheckRow(
                requirement_id="DT-L2-01",
                statement=Text("关键数据实现采集与存储", "Key data are collected and stored"),
                claimed="0.8",
                proposed="0",
                measured="数据采集覆盖率 12.0%",
                decision="kept",
                new_rating="",
                reason="覆盖率不足系两台设备检修停机所致，现场查阅采集系统记录，自评属实。",
            ),
        ),
    )


def make_sme_only_report(*, devices: int = 6, seed: int = 7) -> ReportData:
    """The report of a visit rating the SME digital level alone (no CMMM parts), for layout tests."""
    cmmm = make_report(devices=devices, seed=seed)
    sme = SmeSection(
        level=2,
        level_zh="二级",
        total="62.5",
        max_total="100",
        reason_zh="总分 62.5 分，二级场景 8 个（含约束性场景），评定为二级。",
        next_zh="距三级还差 2 个三级场景。",
        rated_on="2026-11-20",
        index_title_zh="中小企业数字化水平评测指标（2024年版）",
        dimensions=(("数字化基础", "20", "30"), ("数字化管理", "22.5", "40"), ("数字化成效", "20", "30")),
        scenarios=(("产品设计", True, "二级"), ("生产管控", False, "一级")),
        decisions=(
            SmeDecisionRow("设备联网率", "50%–80%", "实测联网率 66.7%", "50%–80%", "accepted", ""),
            SmeDecisionRow(
                "数据采集", "部分采集", "覆盖率 40.0%", "全部采集", "overridden", "现场核实 MES 已采集"
            ),
        ),
        comparison_zh="",
        unconfirmed_zh=(),
        notice_zh="",
        recognition_zh="现场评定结果不等同于官方评测证书。",
        answers=(("设备联网率", "50%–80%"), ("数据采集", "全部采集")),
        index_version="sme-2024.1",
        evidence_days=7,
        silence_timeout_s=600.0,
    )
    return ReportData(
        cover=cmmm.cover, evidence=cmmm.evidence, signatures=cmmm.signatures, verify_base_url="", sme=sme
    )
