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
    """Every difference between two validated versions of the index, old order first."""
    out: list[Change] = []
    _compare("", _plain(old), _plain(new), out)
    return tuple(out)


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
