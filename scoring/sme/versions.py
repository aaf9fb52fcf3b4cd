"""What a corrected version of the SME index changes against the one in force (pure): the diff a bureau reviews
before it publishes an import, one Chinese line per change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scoring.sme.engine import fmt
from scoring.sme.model import SmeIndex, parse_index


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: `path` names the record (items.F4.options.energy.points …), `text_zh` says it."""

    path: str
    old: str
    new: str
    text_zh: str


def _show(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _by_id(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(r[key]): r for r in records}


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


# The index's field names in the words a bureau reads them (the diff's lines); a record's id is named by the
# record (an item, scenario, option, level or grade by its Chinese name).
FIELD_ZH = {
    "version": "版本", "title_zh": "标题", "title_en": "英文标题", "source": "出处", "notice_zh": "提示语",
    "dimensions": "维度", "dimension": "所属维度", "items": "评测项", "options": "选项", "points": "分值",
    "scenarios": "场景", "grades": "等级", "grade": "等级", "constraints": "约束性场景",
    "constraint": "约束性（★）", "level_rule": "定级规则", "levels": "等级", "level": "等级",
    "min_score": "总分下限", "min_scenarios": "场景个数下限", "min_constraint": "约束性场景个数下限",
    "confirmed": "已证实", "note_zh": "说明", "text_zh": "文字", "name_zh": "名称", "name_en": "英文名称",
    "sub_item_zh": "子项", "group_zh": "分组", "kind": "类型", "band": "区间", "above": "下限",
    "upto": "上限", "pattern_zh": "句式", "no_level_zh": "无等级说法",
}  # fmt: skip


def _record_names(index: SmeIndex) -> dict[str, str]:
    """{path: Chinese name} of the index's records, as `_compare` builds their paths."""
    names: dict[str, str] = {}
    for d in index.dimensions:
        names[f"dimensions.{d.id}"] = d.name_zh
    for item in index.items:
        names[f"items.{item.id}"] = f"{item.sub_item_zh}·{item.name_zh}"
        for option in item.options:
            names[f"items.{item.id}.options.{option.id}"] = f"选项“{option.text_zh}”"
    for scenario in index.scenarios:
        names[f"scenarios.{scenario.id}"] = f"{scenario.group_zh}·{scenario.name_zh}"
        for grade in scenario.grades:
            names[f"scenarios.{scenario.id}.grades.{grade.grade}"] = index.grade_name(grade.grade)
    for level in index.level_rule.levels:
        names[f"level_rule.levels.{level.level}"] = level.name_zh
    for name in index.grades:
        names[f"grades.{name.grade}"] = name.name_zh
    return names


def where_zh(path: str, *indexes: SmeIndex) -> str:
    """A change's place in words: 数字化基础·网络建设…·选项“…”·分值 (records named by the first index that has
    them; anything unknown kept as written)."""
    names: dict[str, str] = {}
    for index in reversed(indexes):
        names |= _record_names(index)
    parts, words, at = path.split("."), [], 0
    while at < len(parts):
        record = ".".join(parts[: at + 2])
        if at + 1 < len(parts) and record in names:  # a record: its field name and id, said as its name
            words.append(names[record])
            at += 2
        else:
            words.append(FIELD_ZH.get(parts[at], parts[at]))
            at += 1
    return "·".join(words)


def _compare(path: str, old: Any, new: Any, out: list[Change]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _compare(_join(path, key), old.get(key), new.get(key), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        key = next((k for k in ("id", "grade", "level", "kind") if all(k in r for r in old + new)), None)
        if key is not None and all(isinstance(r, dict) for r in old + new):
            before, after = _by_id(old, key), _by_id(new, key)
            for rid in [*before, *(r for r in after if r not in before)]:
                where = _join(path, rid)
                if rid not in after:
                    out.append(Change(where, _show(before[rid]), "", f"删除 {where}"))
                elif rid not in before:
                    out.append(Change(where, "", _show(after[rid]), f"新增 {where}"))
                else:
                    _compare(where, before[rid], after[rid], out)
            if [r for r in before if r in after] != [r for r in after if r in before]:
                out.append(Change(path, "", "", f"{path} 顺序改变"))
            return
    out.append(Change(path, _show(old), _show(new), f"{path}：{_show(old)} → {_show(new)}"))


def _plain(index: SmeIndex) -> dict[str, Any]:
    raw: dict[str, Any] = index.model_dump(mode="json")
    return raw


def diff_index(old: SmeIndex, new: SmeIndex) -> tuple[Change, ...]:
    """Every difference between two validated versions of the index, old order first, each said in words."""
    out: list[Change] = []
    _compare("", _plain(old), _plain(new), out)
    return tuple(_worded(change, old, new) for change in out)


def _value_zh(value: str) -> str:
    return {"True": "是", "False": "否", "": "（无）"}.get(value, value)


def _worded(change: Change, old: SmeIndex, new: SmeIndex) -> Change:
    where = where_zh(change.path, old, new) if change.path else "记录顺序"
    if change.text_zh.startswith("删除 "):
        text = f"删除 {where}"
    elif change.text_zh.startswith("新增 "):
        text = f"新增 {where}"
    elif change.text_zh.endswith(" 顺序改变"):
        text = f"{where} 顺序改变"
    else:
        text = f"{where}：{_value_zh(change.old)} → {_value_zh(change.new)}"
    return Change(change.path, change.old, change.new, text)


def check_import(raw: Any, current: SmeIndex) -> tuple[SmeIndex, tuple[Change, ...]]:
    """Validate a corrected version (raises ValueError naming what is wrong) and diff it against `current`.

    A new version must carry a new `version` string, so results keep saying which index scored them.
    """
    new = parse_index(raw)
    if new.version == current.version and new != current:
        raise ValueError(f"the corrected index changes data but keeps version {current.version!r}")
    return new, diff_index(current, new)


def summary_zh(old: SmeIndex, new: SmeIndex) -> str:
    """One line for the review page: versions, score and rule at a glance."""
    return (
        f"{old.version} → {new.version}：满分 {fmt(old.max_score)} → {fmt(new.max_score)}；"
        f"定级规则{'已' if new.level_rule.confirmed else '仍未'}确认"
    )
