"""A new policy version as data: quotes checked against its source text, merged, validated, diffed.

Pure: the caller (diagnose.services.diagnosis.policy_store) reads files and the database; this module takes parsed
documents and texts and returns a Catalogue or raises CatalogueError naming the policy and clause.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scoring.subsidy.catalogue import CatalogueError, build_catalogue
from scoring.subsidy.model import Catalogue

# A new version names its issuing office (发文机关): the report cites it. Versions published before this was
# required still load (their citations then name the document only).
REQUIRED_KEYS = (
    "policy",
    "source_file",
    "number",
    "title",
    "issuer",
    "jurisdiction",
    "valid_from",
    "clauses",
)
_CLAUSE_FIELDS = (
    "clause",
    "target",
    "also_targets",
    "conditions",
    "amount",
    "caps",
    "exclusion_group",
    "quote",
)


def _quotes(doc: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(where, quote) for every quote of a policy document."""
    # The issuer as the document's head prints it: `issuer_quote` when the citation form differs (两局联合发文
    # printed 常州市工业和信息化局 常州市财政局, cited 常州市工业和信息化局、常州市财政局), else the issuer itself.
    if doc.get("issuer_quote") or doc.get("issuer"):
        yield "issuer", str(doc.get("issuer_quote") or doc.get("issuer"))
    for key in ("validity_quote", "exclusion_rule_quote", "applies_by_quote"):
        if doc.get(key):
            yield key, str(doc[key])
    for group, spec in (doc.get("exclusion_groups") or {}).items():
        if isinstance(spec, Mapping) and spec.get("quote"):
            yield f"exclusion group {group}", str(spec["quote"])
    for raw in doc.get("clauses") or []:
        if not isinstance(raw, Mapping):
            continue
        where = f"clause {raw.get('id', '?')} ({raw.get('clause', '?')})"
        for quote in (raw.get("quote"), *(raw.get("more_quotes") or ())):
            yield where, str(quote or "")
        quota = raw.get("quota")
        if isinstance(quota, Mapping) and quota.get("quote"):
            yield f"{where} quota", str(quota["quote"])


def check_quotes(doc: Mapping[str, Any], source_text: str) -> None:
    """Every quote must appear verbatim in the source text; the first that does not is refused by name."""
    policy = doc.get("policy", "?")
    if not source_text.strip():
        raise CatalogueError(f"{policy}: the source text is empty; attach the policy's text")
    for where, quote in _quotes(doc):
        if not quote.strip():
            raise CatalogueError(f"{policy} {where}: the quote is empty")
        if quote not in source_text:
            raise CatalogueError(f"{policy} {where}: quote not found verbatim in the source text: {quote!r}")


def check_shape(doc: Any) -> None:
    """The top-level shape before the catalogue builder reads it (clear errors, never a KeyError)."""
    if not isinstance(doc, Mapping):
        raise CatalogueError("the policy file must be a JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in doc]
    if missing:
        raise CatalogueError(f"{doc.get('policy', '?')}: missing keys {missing}")
    if not isinstance(doc["issuer"], str) or not doc["issuer"].strip():
        raise CatalogueError(f"{doc['policy']}: issuer (发文机关) must be the issuing office's name")
    if not isinstance(doc["clauses"], list) or not doc["clauses"]:
        raise CatalogueError(f"{doc['policy']}: clauses must be a non-empty list")
    for index, raw in enumerate(doc["clauses"]):
        if not isinstance(raw, Mapping):
            raise CatalogueError(f"{doc['policy']} clause #{index + 1}: must be an object")
        for key in ("id", "clause", "target", "quote", "amount"):
            if key not in raw:
                raise CatalogueError(
                    f"{doc['policy']} clause {raw.get('id', f'#{index + 1}')}: missing {key!r}"
                )
    jurisdiction = doc["jurisdiction"]
    if not isinstance(jurisdiction, Mapping) or not {"region", "level"} <= set(jurisdiction):
        raise CatalogueError(f"{doc['policy']}: jurisdiction needs region and level")


def merge(
    base: Sequence[Mapping[str, Any]], overrides: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The documents in force: each override replaces the base document with the same policy id."""
    by_id: dict[str, Mapping[str, Any]] = {str(d["policy"]): d for d in base}
    for doc in overrides:
        by_id[str(doc["policy"])] = doc
    return list(by_id.values())


def validate(
    doc: Mapping[str, Any],
    source_text: str,
    in_force: Sequence[Mapping[str, Any]],
    targets_doc: Mapping[str, Any],
    regions_doc: Mapping[str, Any],
) -> Catalogue:
    """Check shape and quotes, then build the catalogue with the new version in place of the old one."""
    check_shape(doc)
    check_quotes(doc, source_text)
    try:
        return build_catalogue(merge(in_force, [doc]), targets_doc, regions_doc)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CatalogueError):
            raise
        raise CatalogueError(f"{doc['policy']}: does not fit the catalogue schema ({exc!r})") from None


def jurisdiction_regions(doc: Mapping[str, Any]) -> set[str]:
    """Every region the document's policy and clauses apply to."""
    regions = {str(doc["jurisdiction"]["region"])}
    for raw in doc["clauses"]:
        if isinstance(raw.get("jurisdiction"), Mapping):
            regions.add(str(raw["jurisdiction"]["region"]))
    return regions


def check_jurisdiction(doc: Mapping[str, Any], catalogue: Catalogue, bureau_region: str | None) -> None:
    """A bureau may load policies only for its own region and the regions under it (None = admin)."""
    if bureau_region is None:
        return
    for region in sorted(jurisdiction_regions(doc)):
        if not catalogue.is_under(region, bureau_region):
            raise CatalogueError(
                f"{doc['policy']}: region {region} is outside the bureau's jurisdiction {bureau_region}"
            )


@dataclass(frozen=True)
class Change:
    """One difference between the version in force and the new one."""

    kind: str  # "added" | "removed" | "changed" | "policy"
    item: str  # clause id, or the policy-level key
    fields: tuple[str, ...] = ()
    before: str = ""
    after: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"kind": self.kind, "item": self.item, "fields": list(self.fields), "before": self.before,
                "after": self.after}  # fmt: skip


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "…"


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """What publishing `new` changes against the version in force (`old`, None for a new policy)."""
    if old is None:
        return [Change("added", str(c["id"]), after=_short(c.get("amount"))) for c in new["clauses"]]
    changes = [
        Change("policy", key, before=_short(old.get(key)), after=_short(new.get(key)))
        for key in ("number", "title", "issuer", "jurisdiction", "valid_from", "valid_to", "applies_by")
        if old.get(key) != new.get(key)
    ]
    before = {str(c["id"]): c for c in old["clauses"]}
    after = {str(c["id"]): c for c in new["clauses"]}
    for cid, clause in after.items():
        if cid not in before:
            changes.append(Change("added", cid, after=_short(clause.get("amount"))))
            continue
        fields = tuple(f for f in _CLAUSE_FIELDS if before[cid].get(f) != clause.get(f))
        if fields:
            changes.append(
                Change(
                    "changed",
                    cid,
                    fields,
                    _short({f: before[cid].get(f) for f in fields}),
                    _short({f: clause.get(f) for f in fields}),
                )
            )
    changes.extend(
        Change("removed", cid, before=_short(c.get("amount")))
        for cid, c in before.items()
        if cid not in after
    )
    return changes


def window(doc: Mapping[str, Any]) -> tuple[dt.date, dt.date | None]:
    """The effective window the document states (valid_to None = open)."""
    start = dt.date.fromisoformat(str(doc["valid_from"]))
    end = dt.date.fromisoformat(str(doc["valid_to"])) if doc.get("valid_to") else None
    if end is not None and end < start:
        raise CatalogueError(f"{doc['policy']}: valid_to {end} is before valid_from {start}")
    return start, end
