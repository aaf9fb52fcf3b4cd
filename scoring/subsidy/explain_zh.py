"""Chinese citations and explanations of the engine's verdicts, generated from the rule's data.

The engine's `Line.explanation` stays English (the CLI's JSON is unchanged); a Chinese report calls
`citation_zh` and `explain_zh`, which read the same clause data and plan and say the same thing in Chinese.
"""

from __future__ import annotations

from decimal import Decimal

from scoring.sme import load_index
from scoring.subsidy.engine import Line, SubsidyResult
from scoring.subsidy.model import Catalogue, Clause, Condition
from scoring.subsidy.plan import Plan, Product
from scoring.subsidy.rules import check, field_value, is_product_condition

# How each document numbers its clauses: "1." items (条), Taicang's measures (一)…, replies' section paths.
_CLAUSE_STYLE = {"tc-2021-3": "paren", "cz-2022-56": "path", "cz-2022-58": "path"}
_DIGITS = "零一二三四五六七八九"
FIELDS_ZH = {
    "enterprise.region": "所在地区",
    "enterprise.industry": "行业门类",
    "enterprise.strategic_emerging": "属于战略性新兴产业",
    "enterprise.revenue_cny": "营业收入",
    "enterprise.revenue_increase_cny": "销售收入增量",
    "enterprise.sme_level": "中小企业数字化水平",
    "investments.equipment_cny": "设备投入",
    "investments.it_cny": "信息化投入",
    "investments.robots_cny": "工业机器人投入",
    "investments.energy_saved_tce": "节能量（吨标煤）",
    "investments.loan_cny": "贷款金额",
    "investments.innovation_product_purchase_cny": "创新产品采购额",
    "investments.rd_cny": "研发投入",
    "investments.base_stations_5g": "5G 基站数",
    "investments.base_stations_5g_over_plan": "超计划 5G 基站数",
    "provider.local_contract_cny": "本地服务合同额",
    "provider.local_enterprises": "服务本地企业数",
    "provider.invoiced_cny": "开票金额",
    "product.unit_price_cny": "产品单价",
    "product.sales_cny": "产品销售额",
    "product.insurance_premium_cny": "保险保费",
}
_MONEY_FREE = {
    "enterprise.sme_level",
    "investments.energy_saved_tce",
    "investments.base_stations_5g",
    "investments.base_stations_5g_over_plan",
    "provider.local_enterprises",
}
_SCOPES_ZH = {
    "per_project": "单个项目",
    "per_enterprise": "单个企业",
    "per_enterprise_year": "单个企业每年",
    "per_product": "单个产品",
}
_UNITS_ZH = {
    "tce": "吨标煤",
    "base stations": "个基站",
    "steps of 5,000,000 yuan of sales growth": "档（每 500 万元增量）",
}
_LEVELS_ZH = {"province": "省级", "prefecture_city": "市级", "county_city": "县级市", "district": "区级"}


def number_zh(n: int) -> str:
    """1..99 in Chinese numerals: 3 → 三, 12 → 十二, 25 → 二十五."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def clause_zh(policy: str, clause: str) -> str:
    """A clause number as the document writes it: 第三条, 第（三）条, 第三部分第二点."""
    style = _CLAUSE_STYLE.get(policy, "item")
    if style == "path":
        parts = [p.strip("()（）") for p in clause.split(".")]
        head = f"第{parts[0]}部分"
        middle = "".join(f"（{p}）" for p in parts[1:-1])
        tail = f"第{parts[-1]}点" if len(parts) > 1 else ""
        return head + middle + tail
    if not clause.isdigit():
        return f"第{clause}条"
    text = number_zh(int(clause))
    return f"第（{text}）条" if style == "paren" else f"第{text}条"


def citation_zh(clause: Clause) -> str:
    """Issuer, document number and clause, e.g. '常州市工业和信息化局、常州市财政局 常工信综合〔2021〕62号 第三条'."""
    return f"{document_zh(clause)} {clause_zh(clause.policy, clause.clause)}"


def document_zh(clause: Clause) -> str:
    """Issuer and document number without the clause (the policy column of a table)."""
    issuer = clause.issuer  # from the policy's data (Wujin's measures name no office: 武进区)
    if "〔" in clause.number:
        return f"{issuer} {clause.number}".strip()
    return f"{issuer}《{clause.number}》"  # no document number: the title, as Chinese citations do


def cny_zh(amount: Decimal | int) -> str:
    """Yuan as ¥1,234,567.89 (two decimals, grouped)."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def _num(path: str, value: Decimal) -> str:
    if all(p in _MONEY_FREE for p in path.split("+")):
        text = f"{value.normalize():,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return cny_zh(value)


def _field_name(path: str) -> str:
    return "＋".join(FIELDS_ZH.get(p, p) for p in path.split("+"))


def _target(catalogue: Catalogue, target_id: str) -> str:
    target = catalogue.targets.get(target_id)
    return f"「{target.name_zh}」" if target else "相应认定"


def condition_zh(cond: Condition, plan: Plan, catalogue: Catalogue, product: Product | None = None) -> str:
    """One condition and whether the plan meets it, in Chinese."""
    ok, _ = check(cond, plan, catalogue, product)
    if cond.kind == "field" and cond.field == "enterprise.sme_level" and cond.op in (">", ">="):
        level = int(field_value(plan, cond.field, product))
        needed = int(Decimal(str(cond.value))) + (1 if cond.op == ">" else 0)
        levels = load_index().level_rule.names_zh()
        rated = f"为{levels[level]}" if level else f"未评定或{levels[0]}"
        return f"中小企业数字化水平{rated}，{'达到' if ok else '未达到'}{levels[needed]}及以上"
    if cond.kind == "field":
        name = _field_name(cond.field)
        value = field_value(plan, cond.field, product)
        if cond.op in (">", ">="):
            assert isinstance(value, Decimal) and isinstance(cond.value, Decimal)
            word = "超过" if cond.op == ">" else "达到"
            verb = "" if ok else "未"
            return f"{name} {_num(cond.field, value)}，{verb}{word} {_num(cond.field, cond.value)}"
        if cond.op == "in":
            allowed = cond.value if isinstance(cond.value, tuple) else ()
            return f"{name}为 {value}，{'属于' if ok else '不属于'}适用门类（{'、'.join(allowed)}）"
        if cond.op == "under":
            here = catalogue.regions.get(str(value))
            there = catalogue.regions.get(str(cond.value))
            return (
                f"企业所在地{here.name_zh if here else value}"
                f"{'属于' if ok else '不属于'}{there.name_zh if there else cond.value}"
            )
        if isinstance(cond.value, bool):
            return f"企业{'' if value else '不'}{name}" + (
                "" if ok else f"（条款要求{'' if cond.value else '不'}{name}）"
            )
        return f"{name}为 {value}" + ("" if ok else f"，要求 {cond.value}")
    if cond.kind == "new":
        return f"{'已' if ok else '未'}计划申报{_target(catalogue, cond.ids[0])}"
    if cond.kind == "has":
        return f"{'已具备或申报' if ok else '未具备也未申报'}{_target(catalogue, cond.ids[0])}"
    if cond.kind == "has_any":
        names = "、".join(_target(catalogue, i) for i in cond.ids)
        return f"{'具备' if ok else '不具备'}以下任一项：{names}"
    if cond.kind == "product_has":
        return f"产品{'具备' if ok else '不具备'}{_target(catalogue, cond.ids[0])}"
    parts = [condition_zh(sub, plan, catalogue, product) for sub in cond.any_of]
    passed = [p for sub, p in zip(cond.any_of, parts, strict=True) if check(sub, plan, catalogue, product)[0]]
    return passed[0] if passed else "以下条件均不满足：" + "；".join(parts)


def _base_zh(clause: Clause, plan: Plan, product: Product | None) -> tuple[Decimal, str]:
    values = [(p, Decimal(field_value(plan, p, product))) for p in clause.amount.base]
    total = sum((v for _, v in values), Decimal(0))
    text = " ＋ ".join(f"{FIELDS_ZH.get(p, p)} {_num(p, v)}" for p, v in values)
    return total, (f"（{text}）" if len(values) > 1 else text)


def _rate(rate: Decimal) -> str:
    text = f"{(rate * 100).normalize():f}"
    return f"{text}%"


def _one_zh(clause: Clause, plan: Plan, product: Product | None) -> str:
    rule = clause.amount
    if rule.kind == "fixed":
        return f"定额奖励 {cny_zh(rule.cny)}"
    base, text = _base_zh(clause, plan, product)
    if rule.kind == "rate":
        return f"{_rate(rule.rate)} × {text} = {cny_zh(rule.rate * base)}"
    if rule.kind == "per_unit":
        unit = _UNITS_ZH.get(rule.unit, rule.unit)
        return f"每{unit} {cny_zh(rule.unit_cny)} × {text}"
    low, high = max(rule.rate * base, rule.floor_cny), max(rule.rate_max * base, rule.floor_cny)
    return (
        f"{_rate(rule.rate)}–{_rate(rule.rate_max)} × {text}，不低于 {cny_zh(rule.floor_cny)}，"
        f"即 {cny_zh(low)}–{cny_zh(high)}（按下限计）"
    )


def _caps_zh(clause: Clause) -> str:
    if not clause.caps:
        return ""
    return "；上限：" + "，".join(f"{_SCOPES_ZH.get(c.scope, c.scope)} {cny_zh(c.cny)}" for c in clause.caps)


def _products(clause: Clause, plan: Plan, catalogue: Catalogue) -> tuple[Product, ...]:
    conds = [c for c in clause.conditions if is_product_condition(c)]
    return tuple(p for p in plan.products if all(check(c, plan, catalogue, p)[0] for c in conds))


def amount_zh(clause: Clause, plan: Plan, catalogue: Catalogue) -> str:
    """The arithmetic of a computable clause, in Chinese."""
    if clause.per_product:
        parts = [
            f"{p.name or '产品'}：{_one_zh(clause, plan, p)}" for p in _products(clause, plan, catalogue)
        ]
        return "；".join(parts) + _caps_zh(clause)
    return _one_zh(clause, plan, None) + _caps_zh(clause)


_REASONS_ZH = {
    "一事一议": "一事一议，未规定可测算的金额",
    "政府购买服务": "以政府购买服务方式支付，不直接补贴企业",
    "no payment to the enterprise": "不直接支付给企业",
    "细则另行制定": "细则另行制定",
    "申报指南": "金额以当年专项资金申报指南为准",
    "LPR": "需按同期 LPR 与实际付息计算，测算计划中无此数据",
    "tax": "需企业地方税收贡献及全市平均增幅，测算计划中无此数据",
    "risk sharing": "与银行风险分担，不直接支付给企业",
    "block funds": "按绩效拨付给辖区，不对应单个企业金额",
    "diagnosis fee": "诊断费由政府支付给服务商，企业免费",
}


def _reason_zh(reason: str) -> str:
    found = [zh for key, zh in _REASONS_ZH.items() if key in reason]
    return "；".join(dict.fromkeys(found)) if found else "未规定可测算的金额"


def _winner(line: Line, result: SubsidyResult, catalogue: Catalogue) -> Clause | None:
    clause = catalogue.clause(line.clause_id)
    for other in result.lines:
        if other.status != "paid" or other.clause_id == line.clause_id:
            continue
        rival = catalogue.clause(other.clause_id)
        if rival.target == clause.target or (
            clause.exclusion_group is not None and rival.exclusion_group == clause.exclusion_group
        ):
            return rival
    return None


def explain_zh(line: Line, result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> str:
    """The verdict of one line in Chinese, from the clause's data and the plan."""
    clause = catalogue.clause(line.clause_id)
    status = line.status
    if status == "out_of_force":
        end = clause.valid_to.isoformat() if clause.valid_to else "长期"
        text = f"测算日 {plan.date.isoformat()} 不在政策有效期内（{clause.valid_from.isoformat()} 至 {end}）"
        if clause.replaced_by:
            text += f"，已由{citation_zh(catalogue.clause(clause.replaced_by))}替代"
        return text + "。"
    if not catalogue.is_under(plan.enterprise.region, clause.region):
        here = catalogue.regions[plan.enterprise.region].name_zh
        there = catalogue.regions[clause.region].name_zh
        return f"企业所在地{here}不在{there}范围内，本条款不适用。"
    if status == "not_eligible":
        for cond in clause.conditions:
            if not is_product_condition(cond) and not check(cond, plan, catalogue)[0]:
                return f"不符合条件：{condition_zh(cond, plan, catalogue)}。"
        if clause.per_product and not _products(clause, plan, catalogue):
            return "测算计划中没有符合条件的产品。"
        return f"测算金额为零（{amount_zh(clause, plan, catalogue)}）。"
    if status == "not_computable":
        if clause.amount.kind == "up_to":
            text = (
                f"政策仅规定上限 {cny_zh(clause.amount.cny)}（最高/不超过），未规定计算方法，列示但不计入合计"
            )
        else:
            text = f"{_reason_zh(clause.amount.reason)}，列示但不计入合计"
        return text + "。"
    met = [
        condition_zh(c, plan, catalogue)
        for c in clause.conditions
        if not is_product_condition(c) and c.kind in ("field", "new", "has", "has_any", "any")
    ]
    working = amount_zh(clause, plan, catalogue)
    reasons = f"（{'；'.join(met)}）" if met else ""
    if status == "paid":
        quota = f"；每年限额 {clause.quota.per_year} 个，择优支持" if clause.quota else ""
        return f"{working}，可获 {cny_zh(Decimal(line.amount_fen) / 100)}{reasons}{quota}。"
    winner = _winner(line, result, catalogue)
    paid = next((x.amount_fen for x in result.lines if winner and x.clause_id == winner.id), 0)
    who = citation_zh(winner) if winner else "另一条款"
    if status == "superseded":
        return (
            f"就高不重复：同一补贴事项已按{who}计 {cny_zh(Decimal(paid) / 100)}，"
            f"本条款（{working}）不再重复享受。"
        )
    rule = clause.exclusion_rule or "同年互斥"
    return f"{rule}：与{who}（{cny_zh(Decimal(paid) / 100)}）互斥，本条款（{working}）不计入。"


def in_main_text(line: Line) -> bool:
    """True when the clause is in force, applies where the enterprise is and its conditions hold.

    The engine only says paid / not_computable / superseded / excluded after the region, the validity
    window and every condition passed; out_of_force and not_eligible lines go to the report's appendix.
    """
    return line.status in ("paid", "not_computable", "superseded", "excluded")


def level_zh(clause: Clause) -> str:
    """The jurisdiction level of a clause in Chinese (省级, 市级, …)."""
    return _LEVELS_ZH.get(clause.level, "")


__all__ = [
    "amount_zh",
    "citation_zh",
    "clause_zh",
    "cny_zh",
    "condition_zh",
    "document_zh",
    "explain_zh",
    "in_main_text",
    "level_zh",
    "number_zh",
]
