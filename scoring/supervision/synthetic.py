"""Seeded generator of realistic clean diagnosis records, and one injector per anomaly kind (tests, bench)."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import replace

from scoring.supervision.records import DiagnosisRecord, Evidence
from scoring.supervision.rules import (
    CLAIM_CONTRADICTED,
    DUPLICATE_ANSWERS,
    DUPLICATE_REPORT,
    SCORE_MISMATCH,
    SHORT_DELIVERY,
    VISIT_WITHOUT_TELEMETRY,
)

# Requirement ids in the CMMM bank's style (domain-level-number); the four evidence-checked ones are real.
REQUIREMENTS = tuple(
    f"{domain}-L{level}-0{n}"
    for domain in ("NW", "DT", "EQ", "EM", "PL", "QM", "WH", "SC")
    for level in (2, 3)
    for n in (1, 2)
)
_BANDS = {  # indicator bands of scoring/maturity/data/evidence_rules.json, so clean claims match evidence
    "NW-L2-01": ("networking_rate", ((0.5, "1"), (0.4, "0.8"), (0.25, "0.5"))),
    "NW-L3-01": ("networking_rate", ((0.8, "1"), (0.7, "0.8"), (0.5, "0.5"))),
    "DT-L2-01": ("coverage", ((0.5, "1"), (0.4, "0.8"), (0.25, "0.5"))),
    "DT-L3-01": ("coverage", ((0.8, "1"), (0.7, "0.8"), (0.5, "0.5"))),
}
_PREFIX = ("常州", "武进", "太仓", "金坛", "溧阳", "新北", "天宁", "钟楼")
_WORDS = ("恒锐", "天宇", "华创", "精工", "永晟", "博远", "瑞丰", "宏达", "联拓", "中科", "盛邦", "汇川")
_TRADES = ("精密机械", "电机", "汽车零部件", "新材料", "纺织", "化工", "电子", "轨道交通装备")
_BOILERPLATE = (
    "本次诊断依据GB/T 39116-2020《智能制造能力成熟度模型》开展，采用问卷调研、现场走访与数据采集相结合的方式。",
    "诊断团队由智能制造咨询专家、工业软件工程师和设备联网工程师组成，按照政府购买服务的要求完成入企诊断。",
    "报告内容包括企业基本情况、成熟度评估结果、主要短板分析、改造路径建议以及可申报的政策支持。",
    "以下建议仅供企业参考，具体改造方案应结合企业投资计划和生产实际进一步论证。",
)
_FINDINGS = (
    "生产计划仍以人工排产为主，{trade}订单交期波动较大。",
    "关键工序设备{seen}台已接入平台，其余{dark}台尚未联网，数据采集覆盖率约{cov}%。",
    "质量检验记录以纸质表单为主，追溯一批次产品平均需要{hours}小时。",
    "仓库已使用条码管理，但与ERP系统未打通，账实差异率约{diff}%。",
    "设备开动率约{run}%，停机原因未分类记录，难以开展OEE分析。",
    "能源计量只到车间总表，单位产品能耗无法按产线核算。",
    "车间已部署MES试点模块，覆盖{lines}条产线，工单报工及时率有待提高。",
    "供应商协同依靠电话和邮件，采购周期平均{days}天。",
    "企业设有信息化专员{staff}人，尚未建立数字化转型专项预算。",
    "设备维护仍以事后维修为主，备件库存依赖经验，建议建立点检与预防性维护计划。",
    "工艺参数由班组长手工记录，{trade}关键参数的一致性难以保证。",
    "安全生产巡检已使用移动终端，可作为数据采集体系建设的切入点。",
)
_EQUIPMENT = (
    "数控机床",
    "注塑机",
    "冲压机",
    "焊接机器人",
    "空压机",
    "热处理炉",
    "装配线",
    "检测台",
    "喷涂线",
    "包装机",
)
_ADVICE = (
    "建议优先完成{dark}台关键设备联网，实现开动率自动采集。",
    "建议引入APS高级排产，缩短订单交付周期。",
    "建议建设质量追溯系统，实现批次级正反向追溯。",
    "建议打通WMS与ERP，实现库存实时可视。",
    "建议按产线加装能源计量表，核算单位产品能耗。",
    "建议申报智能化改造项目，按政策享受设备投资补助。",
    "建议培养内部数字化骨干，建立转型工作专班。",
    "建议建设设备预测性维护模型，降低非计划停机。",
)


def _rating_for(rng: random.Random, maturity: float, level: int) -> str:
    if rng.random() < 0.05:
        return "n/a"
    strength = 1.0 / (1.0 + math.exp(-2.2 * (maturity - level + 0.6))) + rng.gauss(0.0, 0.22)
    for cut, text in ((0.85, "1"), (0.6, "0.8"), (0.3, "0.5")):
        if strength >= cut:
            return text
    return "0"


def _band(value: float, bands: tuple[tuple[float, str], ...]) -> str:
    return next((text for cut, text in bands if value >= cut), "0")


def _report(rng: random.Random, name: str, trade: str, provider_id: int, ev: Evidence) -> str:
    fill = {
        "trade": trade,
        "seen": ev.devices_seen,
        "dark": ev.production_devices - ev.devices_seen,
        "cov": round((ev.coverage or 0.0) * 100),
        "hours": rng.randint(2, 48),
        "diff": rng.randint(1, 9),
        "run": round((ev.run_share or 0.0) * 100),
        "lines": rng.randint(1, 6),
        "days": rng.randint(5, 30),
        "staff": rng.randint(0, 4),
    }
    intro = _BOILERPLATE[provider_id % 2 :: 1][:3]  # each provider keeps its own template
    findings = rng.sample(_FINDINGS, 5)
    advice = rng.sample(_ADVICE, 3)
    kit = "、".join(f"{t}{rng.randint(1, 30)}台" for t in rng.sample(_EQUIPMENT, 4))
    body = [
        f"{name}（以下简称企业）是一家{trade}制造企业，拥有生产设备{ev.production_devices}台，主要包括{kit}。"
    ]
    body += [s.format(**fill) for s in findings] + [s.format(**fill) for s in advice]
    return "".join((*intro, *body))


def clean_record(rng: random.Random, order_id: int, provider_id: int, start: dt.date) -> DiagnosisRecord:
    """One realistic clean diagnosis: claims agree with the evidence, delivered in a plausible time."""
    maturity = rng.uniform(0.6, 4.4)
    scale = rng.choices(("small", "medium", "large"), weights=(4, 4, 2))[0]
    production = {"small": rng.randint(5, 20), "medium": rng.randint(15, 60), "large": rng.randint(40, 160)}[
        scale
    ]
    rate = min(max((maturity - 0.4) / 4.2 + rng.gauss(0.0, 0.06), 0.08), 1.0)
    seen = max(1, round(rate * production))
    coverage = min(seen / production * rng.uniform(0.8, 1.0), 1.0)
    run_share = min(max(0.35 + 0.08 * maturity + rng.gauss(0.0, 0.07), 0.05), 0.95)
    messages = seen * rng.randint(800, 6000)
    kind = rng.choices(("factory", "workshop"), weights=(4, 1))[0]
    days = rng.randint(10, 40) if kind == "factory" else rng.randint(5, 25)
    assigned = start + dt.timedelta(days=rng.randint(0, 300))
    visit = assigned + dt.timedelta(days=rng.randint(1, max(days - 2, 1)))
    evidence = Evidence(
        production_devices=production,
        networked_devices_registered=seen,
        devices_seen=seen,
        telemetry_messages=messages,
        visit_window_messages=max(1, messages // 20),
        networking_rate=seen / production,
        coverage=coverage,
        run_share=run_share,
    )
    answers = []
    for rid in REQUIREMENTS:
        band = _BANDS.get(rid)
        if band is not None:
            value = seen / production if band[0] == "networking_rate" else coverage
            answers.append((rid, _band(value, band[1])))
        else:
            answers.append((rid, _rating_for(rng, maturity, int(rid[4]))))
    trade = rng.choice(_TRADES)
    name = f"{rng.choice(_PREFIX)}{rng.choice(_WORDS)}{trade}有限公司"
    return DiagnosisRecord(
        order_id=order_id,
        provider_id=provider_id,
        enterprise_id=10_000 + order_id,
        kind=kind,
        assigned_on=assigned,
        submitted_on=assigned + dt.timedelta(days=days),
        visit_on=visit,
        answers=tuple(answers),
        report_text=_report(rng, name, trade, provider_id, evidence),
        score=round(min(max(maturity + rng.gauss(0.0, 0.12), 0.0), 5.0), 2),
        evidence=evidence,
        scale=scale,
    )


def generate_clean(
    count: int, seed: int, *, providers: int = 5, start: dt.date = dt.date(2024, 3, 1), first_id: int = 1
) -> list[DiagnosisRecord]:
    """`count` clean records over `providers` providers, the same for the same seed."""
    rng = random.Random(seed)
    return [clean_record(rng, first_id + i, 1 + rng.randrange(providers), start) for i in range(count)]


Planted = set[tuple[int, str]]


def inject_claim_contradicted(records: list[DiagnosisRecord], index: int) -> Planted:
    """Claim full networking and data capture while the plant shows (almost) nothing."""
    r = records[index]
    seen = r.evidence.production_devices // 10
    never = tuple(f"D{n:03d}" for n in range(seen + 1, r.evidence.production_devices + 1))
    evidence = replace(
        r.evidence,
        networked_devices_registered=r.evidence.production_devices,
        devices_seen=seen,
        never_seen=never,
        networking_rate=seen / r.evidence.production_devices,
        coverage=seen / r.evidence.production_devices * 0.9,
        telemetry_messages=seen * 2000,
        visit_window_messages=seen * 100,
    )
    claims = {"NW-L2-01": "1", "NW-L3-01": "1", "DT-L2-01": "1", "DT-L3-01": "0.8"}
    answers = tuple((rid, claims.get(rid, rating)) for rid, rating in r.answers)
    records[index] = replace(r, answers=answers, evidence=evidence)
    return {(r.order_id, CLAIM_CONTRADICTED)}


def inject_visit_without_telemetry(records: list[DiagnosisRecord], index: int) -> Planted:
    """An on-site visit while every device of the enterprise was silent."""
    r = records[index]
    records[index] = replace(r, evidence=replace(r.evidence, visit_window_messages=0))
    return {(r.order_id, VISIT_WITHOUT_TELEMETRY)}


def inject_short_delivery(records: list[DiagnosisRecord], index: int) -> Planted:
    """Submitted one day after assignment."""
    r = records[index]
    records[index] = replace(r, submitted_on=r.assigned_on + dt.timedelta(days=1), visit_on=r.assigned_on)
    return {(r.order_id, SHORT_DELIVERY)}


def inject_heavy_tailoring(records: list[DiagnosisRecord], index: int) -> Planted:
    """Tailor logistics, sales and both service sub-domains out of the self-assessment."""
    r = records[index]
    tailored = (
        ("customer_service", "done_by_group"),
        ("logistics", "fully_outsourced"),
        ("product_service", "business_not_involved"),
        ("sales", "done_by_group"),
    )
    records[index] = replace(r, tailored=tailored)
    return {(r.order_id, "heavy_tailoring")}


def inject_duplicate_answers(records: list[DiagnosisRecord], index: int, source: int) -> Planted:
    """Copy another enterprise's answer set (same provider), changing one rating."""
    a, b = records[source], records[index]
    copied = list(a.answers)
    rid, rating = copied[-1]
    copied[-1] = (rid, "0.5" if rating != "0.5" else "0")
    records[index] = replace(b, provider_id=a.provider_id, answers=tuple(copied))
    return {(a.order_id, DUPLICATE_ANSWERS), (b.order_id, DUPLICATE_ANSWERS)}


def inject_duplicate_report(records: list[DiagnosisRecord], index: int, source: int) -> Planted:
    """Copy another enterprise's report (same provider) with only the company name changed."""
    a, b = records[source], records[index]
    name_a = a.report_text.split("（以下简称企业）")[0][-16:]
    text = a.report_text.replace(name_a, "某某新材料科技有限公司")
    records[index] = replace(b, provider_id=a.provider_id, report_text=text)
    return {(a.order_id, DUPLICATE_REPORT), (b.order_id, DUPLICATE_REPORT)}


def inject_score_mismatch(records: list[DiagnosisRecord], index: int, shift: float = 1.5) -> Planted:
    """Report a score far from what the measured indicators support (up, or down near the top)."""
    r = records[index]
    score = r.score + shift if r.score + shift <= 5.0 else r.score - shift
    records[index] = replace(r, score=round(score, 2))
    return {(r.order_id, SCORE_MISMATCH)}
