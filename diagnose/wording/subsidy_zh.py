"""Chinese citations and explanations of the subsidy engine's verdicts: `scoring.subsidy.explain` says why as data,
this module says it in Chinese (sentence templates from the catalogue, names from the policy catalogue).

The engine's `Line.explanation` stays English (the CLI's JSON is unchanged).
"""

from __future__ import annotations

import re
from decimal import Decimal

from diagnose.wording.catalogue import _
from scoring.sme import load_index
from scoring.subsidy.engine import Line, SubsidyResult
from scoring.subsidy.explain import (
    Arithmetic,
    ConditionCheck,
    Explanation,
    Working,
    check_condition,
    explain,
    in_main_text,
    working,
)
from scoring.subsidy.model import Catalogue, Clause, Condition
from scoring.subsidy.plan import Plan, Product

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
    "investments.equity_refinancing_cny": "股权再融资额",
    "investments.bond_financing_cny": "债券融资额",
    "investments.refinancing_local_share": "募集资金投回本地比例",
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
    "investments.refinancing_local_share",
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
    "base stations within the plan": "个计划内基站",
    "base stations beyond the plan": "个超计划基站",
    "steps of 5,000,000 yuan of sales growth": "档（每 500 万元增量）",
}
_LEVELS_ZH = {"province": "省级", "prefecture_city": "市级", "county_city": "县级市", "district": "区级"}
# A clause's amount that cannot be computed, by a word of its reason (the policy data's English).
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


def level_zh(clause: Clause) -> str:
    """The jurisdiction level of a clause in Chinese (省级, 市级, …)."""
    return _LEVELS_ZH.get(clause.level, "")


def _num(path: str, value: Decimal) -> str:
    if all(p in _MONEY_FREE for p in re.split(r"[+-]", path)):
        text = f"{value.normalize():,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return cny_zh(value)


def _field_name(path: str) -> str:
    """A plan path in words; 'a+b' and 'a-b' (sums and differences of fields) as 甲＋乙, 甲－乙."""
    return "".join({"+": "＋", "-": "－"}.get(p, FIELDS_ZH.get(p, p)) for p in re.split(r"([+-])", path))


def _target(catalogue: Catalogue, target_id: str) -> str:
    target = catalogue.targets.get(target_id)
    return f"「{target.name_zh}」" if target else _("the recognition concerned")


def _region(catalogue: Catalogue, code: object) -> str:
    region = catalogue.regions.get(str(code))
    return region.name_zh if region else str(code)


def check_zh(found: ConditionCheck, catalogue: Catalogue) -> str:
    """One condition held against the plan, and whether the plan meets it, in Chinese."""
    ok = found.ok
    if found.is_sme_level:
        assert isinstance(found.value, int) and isinstance(found.required, int)
        levels = load_index().level_rule.names_zh()
        level = levels[found.value]
        rated = (
            _("is %(level)s", level=level) if found.value else _("not rated or %(level)s", level=levels[0])
        )
        needed = levels[found.required]
        if ok:
            return _("SME digital level %(rated)s, reaching %(needed)s or above", rated=rated, needed=needed)
        return _("SME digital level %(rated)s, not reaching %(needed)s or above", rated=rated, needed=needed)
    if found.kind == "field":
        return _field_zh(found, catalogue)
    if found.kind in ("new", "has", "product_has"):
        target = _target(catalogue, found.ids[0])
        return {
            ("new", True): _("applying for %(target)s in the plan", target=target),
            ("new", False): _("not applying for %(target)s in the plan", target=target),
            ("has", True): _("holding or applying for %(target)s", target=target),
            ("has", False): _("neither holding nor applying for %(target)s", target=target),
            ("product_has", True): _("the product holds %(target)s", target=target),
            ("product_has", False): _("the product does not hold %(target)s", target=target),
        }[(found.kind, ok)]
    if found.kind == "has_any":
        names = "、".join(_target(catalogue, i) for i in found.ids)
        if ok:
            return _("holding one of: %(targets)s", targets=names)
        return _("holding none of: %(targets)s", targets=names)
    parts = [check_zh(sub, catalogue) for sub in found.any_of]
    passed = [part for sub, part in zip(found.any_of, parts, strict=True) if sub.ok]
    return passed[0] if passed else _("none of these holds: %(conditions)s", conditions="；".join(parts))


def _field_zh(found: ConditionCheck, catalogue: Catalogue) -> str:
    name, value, ok = _field_name(found.field), found.value, found.ok
    if found.op in (">", ">="):
        assert isinstance(value, Decimal) and isinstance(found.required, Decimal)
        shown, required = _num(found.field, value), _num(found.field, found.required)
        if found.op == ">":
            if ok:
                return _(
                    "%(name)s %(value)s, more than %(required)s", name=name, value=shown, required=required
                )
            return _(
                "%(name)s %(value)s, not more than %(required)s", name=name, value=shown, required=required
            )
        if ok:
            return _("%(name)s %(value)s, reaching %(required)s", name=name, value=shown, required=required)
        return _("%(name)s %(value)s, not reaching %(required)s", name=name, value=shown, required=required)
    if found.op == "in":
        allowed = "、".join(found.required) if isinstance(found.required, tuple) else ""
        if ok:
            return _(
                "%(name)s is %(value)s, an eligible section (%(allowed)s)",
                name=name,
                value=value,
                allowed=allowed,
            )
        return _(
            "%(name)s is %(value)s, not an eligible section (%(allowed)s)",
            name=name,
            value=value,
            allowed=allowed,
        )
    if found.op == "under":
        here, there = _region(catalogue, value), _region(catalogue, found.required)
        if ok:
            return _("the enterprise's location %(here)s is within %(there)s", here=here, there=there)
        return _("the enterprise's location %(here)s is not within %(there)s", here=here, there=there)
    if isinstance(found.required, bool):
        said = (
            _("the enterprise: %(name)s", name=name)
            if value
            else _("the enterprise: not %(name)s", name=name)
        )
        if ok:
            return said
        if found.required:
            return said + _(" (the clause requires: %(name)s)", name=name)
        return said + _(" (the clause requires: not %(name)s)", name=name)
    said = _("%(name)s is %(value)s", name=name, value=value)
    return said if ok else said + _(", the clause requires %(required)s", required=found.required)


def condition_zh(cond: Condition, plan: Plan, catalogue: Catalogue, product: Product | None = None) -> str:
    """One condition and whether the plan meets it, in Chinese."""
    return check_zh(check_condition(cond, plan, catalogue, product), catalogue)


def _terms_zh(part: Arithmetic) -> str:
    text = " ＋ ".join(f"{_field_name(t.path)} {_num(t.path, t.value)}" for t in part.terms)
    return f"（{text}）" if len(part.terms) > 1 else text


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _part_zh(part: Arithmetic) -> str:
    if part.kind == "fixed":
        return _("fixed award %(amount)s", amount=cny_zh(part.cny))
    base = _terms_zh(part)
    if part.kind == "rate":
        return f"{_rate(part.rate)} × {base} = {cny_zh(part.rate * part.base)}"
    if part.kind == "per_unit":
        unit = _UNITS_ZH.get(part.unit, part.unit)
        return _("%(amount)s per %(unit)s × %(base)s", amount=cny_zh(part.unit_cny), unit=unit, base=base)
    return _(
        "%(low_rate)s–%(high_rate)s × %(base)s, at least %(floor)s, so %(low)s–%(high)s (counted at the low end)",
        low_rate=_rate(part.rate),
        high_rate=_rate(part.rate_max),
        base=base,
        floor=cny_zh(part.floor_cny),
        low=cny_zh(part.low_cny),
        high=cny_zh(part.high_cny),
    )


def working_zh(steps: Working) -> str:
    """The arithmetic of a computable clause, in Chinese."""
    if steps.per_product:
        text = "；".join(
            _("%(product)s: %(working)s", product=p.product or _("product"), working=_part_zh(p))
            for p in steps.parts
        )
    else:
        text = _part_zh(steps.parts[0])
    if not steps.caps:
        return text
    caps = "，".join(f"{_SCOPES_ZH.get(scope, scope)} {cny_zh(cny)}" for scope, cny in steps.caps)
    return text + _("; ceiling: %(caps)s", caps=caps)


def amount_zh(clause: Clause, plan: Plan, catalogue: Catalogue) -> str:
    """The arithmetic of a computable clause for the plan, in Chinese."""
    return working_zh(working(clause, plan, catalogue))


def _reason_zh(reason: str) -> str:
    found = [zh for key, zh in _REASONS_ZH.items() if key in reason]
    return "；".join(dict.fromkeys(found)) if found else _("no amount that can be computed")


def explanation_zh(said: Explanation, catalogue: Catalogue) -> str:
    """An explanation (`scoring.subsidy.explain`) in Chinese, without its full stop."""
    clause = catalogue.clause(said.clause_id)
    code = said.code
    if code == "out_of_force":
        start = clause.valid_from.isoformat()
        end = clause.valid_to.isoformat() if clause.valid_to else _("open-ended")
        if clause.replaced_by:
            return _(
                "the date %(date)s is outside the policy's term (%(start)s to %(end)s), replaced by %(citation)s",
                date=said.date,
                start=start,
                end=end,
                citation=citation_zh(catalogue.clause(clause.replaced_by)),
            )
        return _(
            "the date %(date)s is outside the policy's term (%(start)s to %(end)s)",
            date=said.date,
            start=start,
            end=end,
        )
    if code == "outside_region":
        here, there = _region(catalogue, said.region), _region(catalogue, said.clause_region)
        return _(
            "the enterprise's location %(here)s is outside %(there)s; the clause does not apply",
            here=here,
            there=there,
        )
    if code == "condition_failed":
        assert said.condition is not None
        return _("condition not met: %(condition)s", condition=check_zh(said.condition, catalogue))
    if code == "no_product":
        return _("no product of the plan meets the conditions")
    if code == "up_to_only":
        return _(
            "the policy states only a ceiling of %(amount)s and no method; listed, not in the total",
            amount=cny_zh(said.cap_cny),
        )
    if code == "not_computable":
        return _("%(reason)s; listed, not in the total", reason=_reason_zh(said.reason))
    assert said.working is not None
    steps = working_zh(said.working)
    if code == "zero_amount":
        return _("the amount comes to zero (%(working)s)", working=steps)
    if code == "paid":
        text = _(
            "%(working)s, earning %(amount)s", working=steps, amount=cny_zh(Decimal(said.amount_fen) / 100)
        )
        if said.met:
            text += _(" (%(conditions)s)", conditions="；".join(check_zh(c, catalogue) for c in said.met))
        if said.quota_per_year:
            text += _("; at most %(n)s a year, selected on merit", n=said.quota_per_year)
        return text
    who = citation_zh(catalogue.clause(said.rival_clause_id)) if said.rival_clause_id else _("another clause")
    paid = cny_zh(Decimal(said.rival_fen) / 100)
    if code == "superseded":
        return _(
            "the higher amount only: the same item counts %(paid)s under %(who)s; this clause (%(working)s) is not added",
            who=who,
            paid=paid,
            working=steps,
        )
    rule = said.exclusion_rule or _("exclusive in the same year")
    return _(
        "%(rule)s: exclusive with %(who)s (%(paid)s); this clause (%(working)s) is not counted",
        rule=rule,
        who=who,
        paid=paid,
        working=steps,
    )


def explain_zh(line: Line, result: SubsidyResult, plan: Plan, catalogue: Catalogue) -> str:
    """The verdict of one line in Chinese, from the clause's data and the plan."""
    return explanation_zh(explain(line, result, plan, catalogue), catalogue) + "。"


__all__ = [
    "amount_zh",
    "check_zh",
    "citation_zh",
    "clause_zh",
    "cny_zh",
    "condition_zh",
    "document_zh",
    "explain_zh",
    "explanation_zh",
    "in_main_text",
    "level_zh",
    "number_zh",
    "working_zh",
]
