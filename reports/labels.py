"""The report's fixed wording in Chinese and English (data, not logic)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports.data import SubsidyLine

LANGS = ("zh", "en")

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "智能制造能力成熟度诊断报告",
        "lead": "项目负责人",
        "overall": "适用等级平均",
        "nodes_note": "各级数值为该级适用要求的满足程度（百分比）；—：该级没有适用要求。适用等级平均只计有适用要求的等级，"
        "各能力域的适用等级不同，不宜据此比较强弱；比较请看{focus}级（下一等级）一列。",
        "check_claimed": "自评",
        "check_measured": "实测数据",
        "check_proposed": "实测支持",
        "check_decision": "核对结论",
        "check_reason": "理由",
        "check_kept": "保留自评",
        "check_changed": "改为「{}」",
        "check_undecided": "待诊断人员核对",
        "checks_intro": "以下要求项的自评与设备实测数据相差一档以上，诊断人员已逐项核对：改为实测支持的评分，或保留自评并写明理由。",
        "checks_none": "没有自评与实测相差一档以上的要求项。",
        "watermark": "草稿",
        "draft_number": "签发时编号",
        "subtitle": "智改数转免费诊断服务 · 依据 GB/T 39116-2020 / GB/T 39117-2020 自评估",
        "enterprise": "受诊断企业",
        "uscc": "统一社会信用代码",
        "region": "所在地区",
        "industry": "行业代码（GB/T 4754）",
        "scale": "企业规模",
        "provider": "诊断服务商",
        "bureau": "委托单位",
        "order": "诊断订单号",
        "kind": "诊断类型",
        "created_on": "下单日期",
        "visit_on": "现场诊断日期",
        "submitted_on": "提交日期",
        "accepted_on": "验收日期",
        "scored_at": "评分时间",
        "report_number": "报告编号",
        "version": "版本",
        "issued_at": "签发时间",
        "content_hash": "内容 SHA-256",
        "draft": "草稿 · 未签发，不作为正式报告",
        "s1": "1 诊断摘要",
        "level": "级别",
        "level_self": "成熟度等级（自评估）",
        "tailoring": "裁剪的能力子域（评分前记录）",
        "no_tailoring": "未裁剪",
        "score": "总分 S",
        "findings": "三项关键发现",
        "level_scores": "各级得分",
        "s2": "2 成熟度评估",
        "s2_elements": "2.1 能力要素",
        "s2_domains": "2.2 能力域",
        "s2_subdomains": "2.3 能力子域",
        "sme_title": "2.4 中小企业数字化水平",
        "sme_intro": "本次现场诊断同时依据《{index}》（工信厅企业〔2024〕56号）评定企业数字化水平，评定日期 {day}。",
        "sme_level": "评定等级",
        "sme_total": "总分",
        "sme_points": "{points} 分（满分 {max} 分）",
        "sme_dimension": "评测维度",
        "sme_score": "得分",
        "sme_scenarios": "数字化经营场景等级（★为约束性场景）",
        "sme_scenario": "场景",
        "sme_grade": "等级",
        "sme_decisions": "实测建议与采纳情况",
        "sme_item": "评测项",
        "sme_proposed": "实测建议",
        "sme_answer": "评定答案",
        "sme_decision": "结论",
        "sme_accepted": "采纳",
        "sme_overridden": "改写：{}",
        "sme_no_decisions": "平台实测数据未对任何评测项提出建议，全部由诊断人员现场核实评定。",
        "sme_compare": "改造前后对比",
        "sme_no_earlier": "该企业此前没有数字化水平评定记录。",
        "sme_unconfirmed": "以下内容公开资料尚未证实，{notice}：",
        "name": "名称",
        "subdomain": "能力子域",
        "s3": "3 实测证据",
        "window": "数据窗口",
        "devices_total": "设备总数",
        "devices_networked": "联网设备",
        "networking_rate": "设备联网率",
        "coverage": "数据采集覆盖率",
        "oee": "设备综合效率 OEE",
        "availability": "时间开动率",
        "performance": "性能开动率",
        "quality": "合格品率",
        "utilisation": "设备利用率",
        "energy_per_unit": "单位产品能耗（kWh/件）",
        "s3_devices": "3.1 分设备指标",
        "s3_timeline": "3.2 设备状态时间线",
        "s3_reconciled": "3.3 自评与实测核对",
        "device": "设备",
        "kind_col": "类型",
        "networked": "联网",
        "yes": "是",
        "no": "否",
        "output": "产量（合格/总数）",
        "no_data": "诊断窗口内没有采集到实测数据。",
        "figure": "指标",
        "result": "结果",
        "definition": "定义与所含设备",
        "observed_h": "实测（小时）",
        "known_h": "已知状态（小时）",
        "planned_known_h": "计划生产（已知状态，小时）",
        "unknown_planned_h": "计划内无数据（小时）",
        "device_note": "说明",
        "ledger_lines": "台账中的生产设备（联网率的设备范围）",
        "connected": "已联网",
        "not_connected": "未联网",
        "daily_oee": "每日工厂 OEE",
        "day": "日期",
        "unknown_note": "无数据（设备离线、心跳超时或超过静默时限，状态未知）单独列示，不计为停机，也不计入时间开动率和利用率的分母。",
        "snapshot": "实测证据快照",
        "status_words": {
            "ok": "正常",
            "insufficient": "数据不足",
            "out_of_bounds": "越界",
            "unavailable": "无数据",
        },
        "s4": "4 差距与改进路线",
        "s4_gaps": "4.1 差距清单",
        "s4_roadmap": "4.2 改进路线图",
        "requirement": "要求",
        "current": "现状",
        "priority": "优先级",
        "step": "步骤",
        "action": "改进措施",
        "cost": "估算投入",
        "cost_range": "投入区间",
        "weeks": "周期（周）",
        "level_after": "完成后等级",
        "score_after": "完成后得分",
        "step_subsidy": "对应补贴",
        "target_level": "目标等级",
        "total_cost": "估算总投入",
        "total_subsidy": "可获补贴合计",
        "net_cost": "企业净投入",
        "upper_bound": "另有待认定的上限额",
        "yuan": "元",
        "s5": "5 补贴测算（逐条款）",
        "policy": "政策",
        "clause": "条款",
        "target": "补贴事项",
        "status": "结论",
        "amount": "金额",
        "explanation": "测算说明",
        "quote": "原文",
        "not_eligible_note": "另有 {n} 条条款不适用于本企业，列于附录 B。",
        "s6": "6 方法说明",
        "appendix_a": "附录 A 问卷答复与证据说明",
        "appendix_b": "附录 B 未纳入测算的政策条款",
        "rating": "自评",
        "measured": "实测建议",
        "note": "证据说明",
        "attachments": "证据文件",
        "file": "文件名",
        "size": "大小（字节）",
        "page": "第 {} 页",
        "self_assessment": "本报告的成熟度等级是依据 GB/T 39116-2020《智能制造能力成熟度模型》和 GB/T 39117-2020"
        "《智能制造能力成熟度评估方法》开展的自评估（诊断）结果，不等同于评估机构出具的成熟度等级认证。",
        "peers": "同行对标",
        "peers_too_few": "对标范围：{group}。可比企业 {n} 家，少于 {min} 家，为避免推断单个企业得分，本报告不作对标。",
        "peers_rank": "对标范围：{group}，可比企业 {n} 家。本企业总分 S 为 {own}，同行中位数 {median}，"
        "高于约 {pct}% 的同行企业。",
        "sep": "；",
        "colon": "：",
        "list_sep": "、",
        "reason": "原因",
        "appendix_b_note": "以下条款已失效、不适用于本企业所在地区或条件不满足，仅列示备查，不计入补贴测算。",
        "input_hash": "评分输入哈希",
        "counts": "已评 / 未答（按 0 计）/ 裁剪",
        "s_sign": "签署页",
        "sign_statement": "本报告由诊断服务商依据现场诊断、问卷答复与设备实测数据编制，诊断人员对报告内容的真实性负责；"
        "受诊断企业确认已收到本报告并知悉诊断结论。",
        "assessors": "诊断人员",
        "reviewer": "审核人",
        "enterprise_confirm": "企业确认",
        "enterprise_statement": "已收到本报告，确认诊断过程及所附资料属实。",
        "seal": "（盖章）",
        "signature": "（签字）",
        "date": "日期",
        "date_blank": "　　年　　月　　日",
        "audit_chain": "审计链校验值",
        "audit_at": "截至审计记录第 {n} 条",
        "verify_title": "报告真伪核验",
        "verify_hint": "扫码或访问此链接核验本报告是否为平台签发的原件；也可在核验页面上传文件。",
        "working_copy": "工作底稿 · 非正式版本：本文件为可编辑副本，以平台签发的 PDF 为准。",
    },
    "en": {
        "title": "Smart Manufacturing Capability Maturity Diagnosis Report",
        "lead": "Project lead",
        "overall": "Mean of applicable levels",
        "nodes_note": "Each level's figure is the share of its applicable requirements met; — : no requirement applies "
        "at that level. The mean counts only the levels that apply, which differ between domains, so it does not "
        "rank them; compare the level {focus} column (the next level) instead.",
        "check_claimed": "Claimed",
        "check_measured": "Measured",
        "check_proposed": "Data support",
        "check_decision": "Decision",
        "check_reason": "Reason",
        "check_kept": "Self-rating kept",
        "check_changed": "Changed to {}",
        "check_undecided": "Awaiting the assessor's decision",
        "checks_intro": "The self-rating of these requirements lies more than one step from the measured data; "
        "the assessors decided each: changed to what the data support, or kept with a written reason.",
        "checks_none": "No self-rating lies more than one step from the measured data.",
        "watermark": "DRAFT",
        "draft_number": "numbered when issued",
        "subtitle": "Government-funded digital transformation diagnosis · GB/T 39116-2020 / GB/T 39117-2020",
        "enterprise": "Enterprise",
        "uscc": "Unified social credit code",
        "region": "Region",
        "industry": "Industry (GB/T 4754)",
        "scale": "Scale",
        "provider": "Service provider",
        "bureau": "Commissioning bureau",
        "order": "Order number",
        "kind": "Diagnosis kind",
        "created_on": "Ordered on",
        "visit_on": "Site visit on",
        "submitted_on": "Submitted on",
        "accepted_on": "Accepted on",
        "scored_at": "Scored at",
        "report_number": "Report number",
        "version": "Version",
        "issued_at": "Issued at",
        "content_hash": "Content SHA-256",
        "draft": "DRAFT · not issued, not an official report",
        "s1": "1 Summary",
        "level": "Level",
        "level_self": "Maturity level (self-assessed)",
        "tailoring": "Sub-domains tailored out (recorded before scoring)",
        "no_tailoring": "none",
        "score": "Total score S",
        "findings": "Three key findings",
        "level_scores": "Level scores",
        "s2": "2 Maturity assessment",
        "s2_elements": "2.1 Capability elements",
        "s2_domains": "2.2 Capability domains",
        "s2_subdomains": "2.3 Sub-domains",
        "sme_title": "2.4 SME digital level",
        "sme_intro": "The visit also rated the enterprise on 《{index}》 (工信厅企业〔2024〕56号), on {day}. The index exists in Chinese only; its wording is quoted as published.",
        "sme_level": "Level",
        "sme_total": "Total",
        "sme_points": "{points} of {max} points",
        "sme_dimension": "Dimension",
        "sme_score": "Points",
        "sme_scenarios": "Digital-operations scenarios (★ constraint scenario)",
        "sme_scenario": "Scenario",
        "sme_grade": "Grade",
        "sme_decisions": "Measured proposals and decisions",
        "sme_item": "Item",
        "sme_proposed": "Measured proposal",
        "sme_answer": "Answer",
        "sme_decision": "Decision",
        "sme_accepted": "Accepted",
        "sme_overridden": "Overridden: {}",
        "sme_no_decisions": "The measured data proposed no answer; every item was rated on site.",
        "sme_compare": "Before and after",
        "sme_no_earlier": "The enterprise has no earlier digital-level rating.",
        "sme_unconfirmed": "Not confirmed by public sources ({notice}):",
        "name": "Name",
        "subdomain": "Sub-domain",
        "s3": "3 Measured evidence",
        "window": "Data window",
        "devices_total": "Devices",
        "devices_networked": "Networked devices",
        "networking_rate": "Device networking rate",
        "coverage": "Data-capture coverage",
        "oee": "OEE",
        "availability": "Availability",
        "performance": "Performance",
        "quality": "Quality",
        "utilisation": "Utilisation",
        "energy_per_unit": "Energy per good unit (kWh)",
        "s3_devices": "3.1 Per-device figures",
        "s3_timeline": "3.2 Device state timelines",
        "s3_reconciled": "3.3 Self-assessment against data",
        "device": "Device",
        "kind_col": "Kind",
        "networked": "Networked",
        "yes": "yes",
        "no": "no",
        "output": "Output (good/total)",
        "no_data": "No measured data was captured in the diagnosis window.",
        "figure": "Figure",
        "result": "Result",
        "definition": "Definition and devices",
        "observed_h": "Observed (h)",
        "known_h": "Known state (h)",
        "planned_known_h": "Planned, known state (h)",
        "unknown_planned_h": "No data in planned time (h)",
        "device_note": "Note",
        "ledger_lines": "Production equipment of the ledger (the networking rate's population)",
        "connected": "connected",
        "not_connected": "not connected",
        "daily_oee": "Plant OEE by day",
        "day": "Day",
        "unknown_note": "No data (offline, a missed heartbeat or silence past the timeout: state unknown) is shown apart: it is not downtime and is in neither availability's nor utilisation's denominator.",
        "snapshot": "Evidence snapshot",
        "status_words": {
            "ok": "ok",
            "insufficient": "insufficient data",
            "out_of_bounds": "out of bounds",
            "unavailable": "no data",
        },
        "s4": "4 Gaps and improvement roadmap",
        "s4_gaps": "4.1 Gap list",
        "s4_roadmap": "4.2 Improvement roadmap",
        "requirement": "Requirement",
        "current": "Now",
        "priority": "Priority",
        "step": "Step",
        "action": "Action",
        "cost": "Est. cost",
        "cost_range": "Cost range",
        "weeks": "Weeks",
        "level_after": "Level after",
        "score_after": "Score after",
        "step_subsidy": "Subsidy earned",
        "target_level": "Target level",
        "total_cost": "Estimated cost",
        "total_subsidy": "Total subsidy",
        "net_cost": "Net cost to the enterprise",
        "upper_bound": "Further amounts subject to case-by-case approval, up to",
        "yuan": "CNY",
        "s5": "5 Subsidy, clause by clause",
        "policy": "Policy",
        "clause": "Clause",
        "target": "Subsidised item",
        "status": "Verdict",
        "amount": "Amount",
        "explanation": "Working",
        "quote": "Policy text",
        "not_eligible_note": "{n} further clauses do not apply to this enterprise; see appendix B.",
        "s6": "6 Methodology",
        "appendix_a": "Appendix A Questionnaire answers and evidence notes",
        "appendix_b": "Appendix B Policy clauses that do not apply",
        "rating": "Claimed",
        "measured": "Measured",
        "note": "Evidence note",
        "attachments": "Evidence files",
        "file": "File",
        "size": "Size (bytes)",
        "page": "page {}",
        "self_assessment": "The maturity level in this report is a self-assessment (diagnosis) against GB/T 39116-2020 "
        "and GB/T 39117-2020; it is not a maturity certification by an assessment body.",
        "peers": "Peer comparison",
        "peers_too_few": "Peer group: {group}. {n} comparable enterprises, fewer than {min}: no comparison is shown, "
        "so that no single enterprise's score can be inferred.",
        "peers_rank": "Peer group: {group}, {n} comparable enterprises. Total score S {own}, peer median {median}; "
        "above about {pct}% of peers.",
        "sep": "; ",
        "colon": ": ",
        "list_sep": ", ",
        "reason": "Reason",
        "appendix_b_note": "Clauses out of force, not applicable where the enterprise is, or whose conditions are not "
        "met; listed for reference, not counted.",
        "input_hash": "Scoring input hash",
        "counts": "Rated / unanswered (counted 0) / tailored",
        "s_sign": "Signatures",
        "sign_statement": "This report was prepared by the service provider from the site visit, the questionnaire "
        "and measured plant data; the enterprise confirms receipt and knowledge of its findings.",
        "assessors": "Assessors",
        "reviewer": "Reviewed by",
        "enterprise_confirm": "Enterprise confirmation",
        "enterprise_statement": "Received; the diagnosis and the attached material are accurate.",
        "seal": "(seal)",
        "signature": "(signature)",
        "date": "Date",
        "date_blank": "",
        "audit_chain": "Audit chain value",
        "audit_at": "as of audit record no. {n}",
        "verify_title": "Check this report",
        "verify_hint": "Scan or open this link to check that this is the report as issued; files can be uploaded there.",
        "working_copy": "Working copy, not the official version: the issued PDF prevails.",
    },
}

# A visit rating the SME digital level alone (issue #26): its report's own title, chapters and method, over
# WORDS (words_for). The index exists in Chinese only; the English copy names it and quotes it.
SME_ONLY = {
    "zh": {
        "title": "中小企业数字化水平评测报告",
        "subtitle": "智改数转诊断服务 · 依据《中小企业数字化水平评测指标（2024年版）》现场评测",
        "s1": "1 评测摘要",
        "sme_chapter": "2 数字化水平评测",
        "s3": "3 实测证据",
        "s6": "4 方法说明",
        "appendix_a": "附录 A 评测答卷",
        "sme_intro": "本次现场评测依据《{index}》（工信厅企业〔2024〕56号）评定企业数字化水平，评定日期 {day}。",
        "sme_only_note": "本次诊断仅评测中小企业数字化水平，未开展智能制造能力成熟度评估。",
        "sme_dimensions_title": "2.1 评测维度得分",
        "sme_scenarios_title": "2.2 数字化经营场景",
        "sme_decisions_title": "2.3 实测建议与采纳情况",
        "sme_compare_title": "2.4 改造前后对比",
        "sme_index_version": "评测指标版本",
    },
    "en": {
        "title": "SME Digital Level Evaluation Report",
        "subtitle": "Digital transformation diagnosis · on-site rating on the SME digital level index (2024 edition)",
        "s1": "1 Summary",
        "sme_chapter": "2 SME digital level",
        "s3": "3 Measured evidence",
        "s6": "4 Methodology",
        "appendix_a": "Appendix A Answers",
        "sme_intro": "The visit rated the enterprise on 《{index}》 (工信厅企业〔2024〕56号), on {day}. The index exists in Chinese only; its wording is quoted as published.",
        "sme_only_note": "This visit rated the SME digital level alone; smart-manufacturing maturity was not assessed.",
        "sme_dimensions_title": "2.1 Points by dimension",
        "sme_scenarios_title": "2.2 Digital business scenarios",
        "sme_decisions_title": "2.3 Measured proposals and decisions",
        "sme_compare_title": "2.4 Before and after",
        "sme_index_version": "Index version",
    },
}

SME_METHOD = {
    "zh": [
        "数字化水平按《中小企业数字化水平评测指标（2024年版）》评定：数字化基础、数字化管理、数字化成效三个维度按各评测项"
        "所选选项计分（满分 100 分），数字化经营 16 个场景按一级至四级评定；等级由总分与达到相应等级的场景个数"
        "（含约束性场景）共同确定。",
        "实测证据取评定前 {days} 天的设备遥测数据与设备台账：设备静默超过 {timeout:g} 秒视为状态未知，不计为停机；"
        "平台据此对可测评测项提出建议答案，诊断人员现场核实后采纳或改写，改写须写明理由（见 2.3 节）。",
        "现场评定结果不等同于官方评测证书，以工业和信息化主管部门公布的评测结果为准。",
        "报告签发后不可修改：每次签发生成新版本，页脚印有报告编号、版本与内容 SHA-256，"
        "平台同时保存 PDF 文件字节的 SHA-256；扫描封面二维码或访问核验链接即可核验报告真伪。",
    ],
    "en": [
        "The digital level follows the SME digital level index (2024 edition): the dimensions digital basis, "
        "digital management and digital results score by the options chosen (100 points in all); the 16 "
        "digital business scenarios are graded 1 to 4; the level follows from the points and the number of "
        "scenarios (constraint scenarios included) at each grade.",
        "Measured evidence covers the {days} days before the rating and the equipment ledger: a device silent "
        "for more than {timeout:g} s is in an unknown state, not downtime. The platform proposes the answers it "
        "can measure; the consultant accepts or overrides each with a written reason (section 2.3).",
        "The on-site rating is not the official evaluation certificate.",
        "An issued report never changes: each issue is a new version whose footer prints the report "
        "number, version and content SHA-256; the platform also keeps the SHA-256 of the PDF bytes, "
        "checked on the public verification page linked by the QR code on the cover.",
    ],
}


def words_for(sme_only: bool, lang: str) -> dict[str, Any]:
    """The report's words: an SME-only report's title, chapters and intro over the common ones."""
    return WORDS[lang] | SME_ONLY[lang] if sme_only else WORDS[lang]


STATUS = {
    "zh": {
        "paid": "可获补贴",
        "not_eligible": "不符合条件",
        "superseded": "就高不重复",
        "excluded": "同年互斥",
        "out_of_force": "政策已失效",
        "not_computable": "未测算",
    },
    "en": {
        "paid": "paid",
        "not_eligible": "not eligible",
        "superseded": "superseded (highest only)",
        "excluded": "mutually exclusive",
        "out_of_force": "out of force",
        "not_computable": "case by case, not sized",
    },
}

RATING = {
    "zh": {
        "1": "全部满足",
        "0.8": "大部分满足",
        "0.5": "部分满足",
        "0": "不满足",
        "n/a": "不适用",
        "": "未答",
    },
    "en": {"1": "fully", "0.8": "mostly", "0.5": "partly", "0": "not met", "n/a": "n/a", "": "unanswered"},
}

KIND = {
    "zh": {"factory": "工厂级", "workshop": "车间级"},
    "en": {"factory": "factory", "workshop": "workshop"},
}

SCALE = {
    "zh": {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"},
    "en": {"micro": "micro", "small": "small", "medium": "medium", "large": "large"},
}

METHOD = {
    "zh": [
        "成熟度按 GB/T 39116-2020 的能力要素、能力域和能力子域结构，依据 GB/T 39117-2020 的评估方法计分："
        "每条要求按全部满足 1、大部分满足 0.8、部分满足 0.5、不满足 0 评分，未作答按 0 计，裁剪项不计入。",
        "总分 S 自一级起累加各级得分，仅当下一级以下各级得分均不低于 0.8 时继续累加；"
        "等级由 S 按 0.8 / 1.8 / 2.8 / 3.8 / 4.8 的阈值确定。",
        "实测证据取评分前 {days} 天的设备遥测数据：设备静默超过 {timeout:g} 秒视为状态未知；"
        "OEE 按 ISO 22400-2 计算为时间开动率 × 性能开动率 × 合格品率；状态未知（无数据）的时间不计为停机，也不计入分母；"
        "工厂 OEE 为同一组设备合并计算的三项之积，每项指标只计入数据满足最低要求（见 3 节）的设备，不足时显示数据不足。",
        "自评与实测不一致时，以实测数据修正评分，并在 3.3 节列出。",
        "改进路线图按最小净投入（投入减去补贴）选择措施，每一步重新评分；补贴由政策引擎逐条款测算，"
        "金额以分为单位精确计算，引用条款出自各地政策原文。",
        "报告签发后不可修改：每次签发生成新版本，页脚印有报告编号、版本与内容 SHA-256，"
        "平台同时保存 PDF 文件字节的 SHA-256；扫描封面二维码或访问核验链接即可核验报告真伪。",
    ],
    "en": [
        "Maturity follows the elements, domains and sub-domains of GB/T 39116-2020 and the method of "
        "GB/T 39117-2020: each requirement is rated 1 (fully), 0.8 (mostly), 0.5 (partly) or 0 (not met); "
        "unanswered requirements count 0 and tailored ones are left out.",
        "The total score S adds the level scores from level 1 upward while every lower level scores at "
        "least 0.8; the level follows from S by the thresholds 0.8 / 1.8 / 2.8 / 3.8 / 4.8.",
        "Measured evidence covers the {days} days before scoring: a device silent for more than "
        "{timeout:g} s is in an unknown state, which is not downtime and in no denominator; OEE is availability × "
        "performance × quality (ISO 22400-2), and the plant OEE the product of the three pooled over the same "
        "devices, each counting only devices with the minimum of data (section 3).",
        "Where the self-assessment contradicts the data, the data corrects the rating (section 3.3).",
        "The roadmap picks actions by least net cost (cost minus subsidy), re-scoring after each step; the "
        "subsidy engine sizes every clause in exact fen and cites the policy text.",
        "An issued report never changes: each issue is a new version whose footer prints the report "
        "number, version and content SHA-256; the platform also keeps the SHA-256 of the PDF bytes, "
        "checked on the public verification page linked by the QR code on the cover.",
    ],
}


BAND = {
    "zh": {"high": "高", "medium": "中", "low": "低", "": "—"},
    "en": {"high": "high", "medium": "medium", "low": "low", "": "—"},
}

VERSION_NAMES = {
    "zh": {
        "model": "成熟度模型版本",
        "requirements": "要求库版本",
        "weights_and_thresholds": "权重与阈值版本",
        "rule": "评分规则版本",
    },
    "en": {
        "model": "Maturity model",
        "requirements": "Requirement bank",
        "weights_and_thresholds": "Weights and thresholds",
        "rule": "Scoring rule",
    },
}


def _rating_key(value: float) -> str:
    return next((k for k in ("1", "0.8", "0.5", "0") if abs(float(k) - value) < 1e-9), f"{value:g}")


def helpers(lang: str) -> dict[str, Callable[..., str]]:
    """Template helpers that turn report data into the words of `lang`."""

    def cite(line: SubsidyLine) -> str:
        if lang == "zh" and line.citation_zh:
            return line.citation_zh
        return f"{line.document_zh or line.policy}, clause {line.clause}"

    def explain(line: SubsidyLine) -> str:
        return line.explanation_zh if lang == "zh" and line.explanation_zh else line.explanation

    return {
        "cite": cite,
        "explain": explain,
        "band": lambda b: BAND[lang].get(b, b),
        "rating_word": lambda v: RATING[lang].get(_rating_key(float(v)), f"{v}"),
        "version_name": lambda n: VERSION_NAMES[lang].get(n, n),
    }
