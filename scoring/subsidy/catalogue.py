"""Load and validate the policy catalogue from scoring/policies/*.json (packaged data files)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from scoring.subsidy.model import (
    AMOUNT_KINDS,
    APPLIES_BY,
    CAP_SCOPES,
    CONDITION_OPS,
    LEVEL_RANK,
    AmountRule,
    Cap,
    Catalogue,
    Clause,
    Condition,
    Policy,
    Quota,
    Region,
    Target,
)
from scoring.subsidy.plan import CONDITION_PATHS, NUMERIC_PATHS

POLICY_FILES = ("cz_2021_62.json", "cz_2022_56.json", "cz_2022_58.json", "wj_2024.json", "tc_2021_3.json")
_CLAUSE_KEYS = {
    "id", "clause", "target", "quote", "more_quotes", "conditions", "amount", "caps", "quota",
    "exclusion_group", "per_product", "replaces", "jurisdiction", "valid_from", "valid_to", "note",
    "also_targets",
}  # fmt: skip
POLICY_KEYS = {
    "policy", "source_file", "number", "title", "jurisdiction", "valid_from", "valid_to", "validity_quote",
    "validity_note", "exclusion_rule_quote", "exclusion_groups", "clauses", "applies_by", "applies_by_quote",
    "sample", "version", "issuer", "issuer_quote",
}  # fmt: skip


class CatalogueError(ValueError):
    """The catalogue data is inconsistent; the message names the file and clause."""


def _dec(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise CatalogueError(f"{where}: not a decimal: {value!r}") from None


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CatalogueError(f"{where}: not a date: {value!r}") from None


def _path_ok(path: str, where: str, allowed: Mapping[str, str]) -> None:
    for part in path.replace("-", "+").split("+"):
        if part not in allowed:
            raise CatalogueError(f"{where}: unknown plan field {part!r}")


def _condition(raw: Mapping[str, Any], where: str, targets: Mapping[str, Target]) -> Condition:
    def known(ids: list[str]) -> tuple[str, ...]:
        for item in ids:
            if item not in targets:
                raise CatalogueError(f"{where}: unknown target {item!r}")
        return tuple(ids)

    if "any" in raw:
        return Condition("any", any_of=tuple(_condition(c, where, targets) for c in raw["any"]))
    for kind in ("new", "has", "product_has"):
        if kind in raw:
            return Condition(kind, ids=known([raw[kind]]))
    if "has_any" in raw:
        return Condition("has_any", ids=known(list(raw["has_any"])))
    path, op, value = raw.get("field", ""), raw.get("op", ""), raw.get("value")
    if op not in CONDITION_OPS:
        raise CatalogueError(f"{where}: unknown operator {op!r}")
    _path_ok(path, where, CONDITION_PATHS)
    if op in (">", ">="):
        _path_ok(path, where, NUMERIC_PATHS)
        return Condition("field", field=path, op=op, value=_dec(value, where))
    if op == "in":
        return Condition("field", field=path, op=op, value=tuple(str(v) for v in value or ()))
    return Condition("field", field=path, op=op, value=value)


def _amount(raw: Mapping[str, Any], where: str) -> AmountRule:
    kind = raw.get("kind")
    if kind not in AMOUNT_KINDS:
        raise CatalogueError(f"{where}: unknown amount kind {kind!r}")
    if kind == "fixed":
        return AmountRule(kind, cny=_dec(raw["cny"], where))
    if kind == "up_to":
        return AmountRule(kind, cny=_dec(raw["max_cny"], where))
    if kind == "not_computable":
        if not raw.get("reason"):
            raise CatalogueError(f"{where}: not_computable needs a reason")
        return AmountRule(kind, reason=raw["reason"])
    limit = raw.get("base_limit", "")
    if limit:
        _path_ok(limit, where, NUMERIC_PATHS)
    if kind == "per_unit":
        _path_ok(raw["base"], where, NUMERIC_PATHS)
        return AmountRule(
            kind,
            base=(raw["base"],),
            unit_cny=_dec(raw["unit_cny"], where),
            unit_size=_dec(raw.get("unit_size", "1"), where),
            unit=raw.get("unit", ""),
        )
    for path in raw["base"]:
        _path_ok(path, where, NUMERIC_PATHS)
    if kind == "rate":
        return AmountRule(kind, rate=_dec(raw["rate"], where), base=tuple(raw["base"]), base_limit=limit)
    return AmountRule(
        kind,
        rate=_dec(raw["rate_min"], where),
        rate_max=_dec(raw["rate_max"], where),
        base=tuple(raw["base"]),
        floor_cny=_dec(raw.get("floor_cny", "0"), where),
    )


def _clause(
    raw: Mapping[str, Any], doc: Mapping[str, Any], policy: Policy, targets: Mapping[str, Target]
) -> Clause:
    where = f"{doc['source_file']} {raw.get('id', '?')}"
    unknown = set(raw) - _CLAUSE_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
    for target in (raw["target"], *raw.get("also_targets", ())):
        if target not in targets:
            raise CatalogueError(f"{where}: unknown target {target!r}")
    group = raw.get("exclusion_group")
    groups = doc.get("exclusion_groups", {})
    if group is not None and group not in groups:
        raise CatalogueError(f"{where}: exclusion group {group!r} not declared")
    caps = tuple(Cap(_dec(c["cny"], where), c["scope"]) for c in raw.get("caps", []))
    if any(cap.scope not in CAP_SCOPES for cap in caps):
        raise CatalogueError(f"{where}: unknown cap scope")
    quota = raw.get("quota")
    jurisdiction = raw.get("jurisdiction", doc["jurisdiction"])
    return Clause(
        id=raw["id"],
        policy=policy.id,
        source_file=policy.source_file,
        number=policy.number,
        clause=str(raw["clause"]),
        region=jurisdiction["region"],
        level=jurisdiction["level"],
        valid_from=_date(raw.get("valid_from"), where) or policy.valid_from,
        valid_to=_date(raw.get("valid_to"), where) or policy.valid_to,
        target=raw["target"],
        quote=raw["quote"],
        more_quotes=tuple(raw.get("more_quotes", ())),
        conditions=tuple(_condition(c, where, targets) for c in raw.get("conditions", [])),
        amount=_amount(raw["amount"], where),
        caps=caps,
        quota=Quota(quota["per_year"], quota["unit"], quota["quote"]) if quota else None,
        exclusion_group=group,
        exclusion_rule=groups[group]["rule"] if group else "",
        per_product=bool(raw.get("per_product", False)),
        replaces=raw.get("replaces"),
        note=raw.get("note", ""),
        also_targets=tuple(raw.get("also_targets", ())),
        applies_by=policy.applies_by,
        applies_by_quote=doc.get("applies_by_quote", ""),
        issuer=policy.issuer,
    )


def _read(name: str) -> Any:
    return json.loads(resources.files("scoring.policies").joinpath(name).read_text(encoding="utf-8"))


def build_catalogue(
    documents: Sequence[Mapping[str, Any]], targets_doc: Mapping[str, Any], regions_doc: Mapping[str, Any]
) -> Catalogue:
    """Build and validate a Catalogue from already-parsed JSON documents."""
    targets = {t["id"]: Target(t["id"], t["name_zh"], t["kind"]) for t in targets_doc["targets"]}
    regions = {
        r["code"]: Region(r["code"], r["name_zh"], r["level"], r["parent"]) for r in regions_doc["regions"]
    }
    policies: list[Policy] = []
    clauses: list[Clause] = []
    for doc in documents:
        where = doc.get("source_file", "?")
        unknown = set(doc) - POLICY_KEYS
        if unknown:
            raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
        missing = {"policy", "source_file", "number", "title", "jurisdiction", "valid_from", "clauses"} - set(
            doc
        )
        if missing:
            raise CatalogueError(f"{where}: missing keys {sorted(missing)}")
        applies_by = doc.get("applies_by", "application_date")
        if applies_by not in APPLIES_BY:
            raise CatalogueError(f"{where}: applies_by must be one of {', '.join(APPLIES_BY)}")
        policy = Policy(
            id=doc["policy"],
            source_file=doc["source_file"],
            number=doc["number"],
            title=doc["title"],
            region=doc["jurisdiction"]["region"],
            level=doc["jurisdiction"]["level"],
            valid_from=_date(doc["valid_from"], where) or dt.date.min,
            valid_to=_date(doc.get("valid_to"), where),
            validity_note=doc.get("validity_note", ""),
            applies_by=applies_by,
            version=str(doc.get("version", "shipped")),
            issuer=str(doc.get("issuer", "")),
        )
        policies.append(policy)
        clauses.extend(_clause(raw, doc, policy, targets) for raw in doc["clauses"])
    by_id = {c.id: c for c in clauses}
    if len(by_id) != len(clauses):
        seen: set[str] = set()
        dup = next(c.id for c in clauses if c.id in seen or seen.add(c.id))  # type: ignore[func-returns-value]
        raise CatalogueError(f"duplicate clause id {dup!r}")
    if len({p.id for p in policies}) != len(policies):
        raise CatalogueError("a policy id appears twice")
    for c in clauses:
        if c.region not in regions or c.level not in LEVEL_RANK:
            raise CatalogueError(f"{c.id}: unknown jurisdiction {c.region} {c.level}")
    # A later version ends the earlier one the day before it starts (002/004 change 000's amounts).
    for c in list(clauses):
        if c.replaces is None:
            continue
        if c.replaces not in by_id:
            raise CatalogueError(f"{c.id}: replaces unknown clause {c.replaces!r}")
        old = by_id[c.replaces]
        by_id[old.id] = replace(old, valid_to=c.valid_from - dt.timedelta(days=1), replaced_by=c.id)
    return Catalogue(
        policies=tuple(policies),
        clauses=tuple(by_id[c.id] for c in clauses),
        targets=targets,
        regions=regions,
        version=catalogue_version(documents),
    )


def catalogue_version(documents: Sequence[Mapping[str, Any]]) -> str:
    """A short sha256 of the canonical policy documents: equal documents, equal version."""
    text = json.dumps(
        sorted(documents, key=lambda d: str(d.get("policy"))), sort_keys=True, ensure_ascii=False
    )
    return "cat-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def shipped_documents() -> list[dict[str, Any]]:
    """The policy documents shipped in scoring/policies/ (parsed JSON, fresh copies)."""
    return [_read(name) for name in POLICY_FILES]


def reference_documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """targets.json and regions.json (parsed)."""
    return _read("targets.json"), _read("regions.json")


@functools.cache
def load_catalogue() -> Catalogue:
    """Load the packaged catalogue (cached; the data is immutable)."""
    return build_catalogue(shipped_documents(), *reference_documents())
