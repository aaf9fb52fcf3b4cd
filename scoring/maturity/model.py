"""The CMMM model (GB/T 39116-2020 structure) and its requirement bank, loaded from packaged JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
INDUSTRIES: tuple[str, ...] = ("discrete", "process")
REQUIREMENT_INDUSTRIES: tuple[str, ...] = ("discrete", "process", "both")


@dataclass(frozen=True)
class Level:
    """One maturity level (1 规划级 … 5 引领级)."""

    level: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Node:
    """An element, domain or sub-domain; `parent` is empty for elements."""

    id: str
    name_zh: str
    name_en: str
    parent: str
    code: str = ""


@dataclass(frozen=True)
class Requirement:
    """One requirement of the bank: a sub-domain's demand at one level."""

    id: str
    subdomain: str
    level: int
    industry: str
    effort: int
    statement_zh: str
    statement_en: str
    evidence_zh: str
    evidence_en: str
    source: str

    def applies_to(self, industry_type: str) -> bool:
        """True when the requirement is assessed for this industry type."""
        return self.industry == "both" or self.industry == industry_type


@dataclass(frozen=True)
class Weights:
    """Weight table: explicit (parent, child) weights, all others 1 (equal among applicable children)."""

    version: str
    scheme: str
    note_en: str
    note_zh: str
    overrides: tuple[tuple[str, str, Fraction], ...] = ()

    def weight(self, parent: str, child: str) -> Fraction:
        """Weight of `child` under `parent` before normalising among applicable children."""
        for p, c, w in self.overrides:
            if p == parent and c == child:
                return w
        return Fraction(1)


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the total-score rule (GB/T 39117-2020 as read by the project)."""

    continue_at: Fraction
    level_cuts: tuple[tuple[Fraction, int], ...]


@dataclass(frozen=True)
class Index:
    """Precomputed tree for one industry: level -> element -> domain -> sub-domain -> requirement ids."""

    tree: tuple[
        tuple[int, tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]], ...]],
        ...,
    ]


@dataclass(frozen=True)
class MaturityModel:
    """The whole versioned model: structure, requirement bank, weights and thresholds."""

    version: str
    requirements_version: str
    table_version: str
    levels: tuple[Level, ...]
    elements: tuple[Node, ...]
    domains: tuple[Node, ...]
    subdomains: tuple[Node, ...]
    requirements: tuple[Requirement, ...]
    weights: Weights
    thresholds: Thresholds
    _by_id: dict[str, Requirement] = field(default_factory=dict, compare=False, repr=False, hash=False)
    _index: dict[str, Index] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def requirement(self, requirement_id: str) -> Requirement | None:
        """The requirement with this id, or None."""
        return self._by_id.get(requirement_id)

    def index(self, industry_type: str) -> Index:
        """The roll-up tree restricted to requirements applicable to `industry_type`."""
        return self._index[industry_type]

    def node_name(self, node_id: str) -> tuple[str, str]:
        """(zh, en) name of an element, domain or sub-domain id."""
        for node in (*self.elements, *self.domains, *self.subdomains):
            if node.id == node_id:
                return node.name_zh, node.name_en
        raise KeyError(node_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, as printed by `diagnose model --json`."""
        return {
            "version": self.version,
            "requirements_version": self.requirements_version,
            "table_version": self.table_version,
            "levels": [vars(x) for x in self.levels],
            "elements": [{"id": n.id, "name_zh": n.name_zh, "name_en": n.name_en} for n in self.elements],
            "domains": [
                {"id": n.id, "name_zh": n.name_zh, "name_en": n.name_en, "element": n.parent}
                for n in self.domains
            ],
            "subdomains": [
                {"id": n.id, "code": n.code, "name_zh": n.name_zh, "name_en": n.name_en, "domain": n.parent}
                for n in self.subdomains
            ],
            "requirements": [vars(r) for r in self.requirements],
            "weights": {"scheme": self.weights.scheme, "note_en": self.weights.note_en},
            "thresholds": {
                "continue_at": str(self.thresholds.continue_at),
                "level_cuts": [[str(c), lv] for c, lv in self.thresholds.level_cuts],
            },
        }


def read_json(name: str) -> Any:
    """Parse one packaged data file of scoring.maturity.data."""
    text = resources.files("scoring.maturity.data").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def _build_index(model: MaturityModel, industry_type: str) -> Index:
    """Group applicable requirements by level and hierarchy, keeping model order."""
    tree = []
    for level in LEVELS:
        elements = []
        for element in model.elements:
            domains = []
            for domain in (d for d in model.domains if d.parent == element.id):
                subs = []
                for sub in (s for s in model.subdomains if s.parent == domain.id):
                    ids = tuple(
                        r.id
                        for r in model.requirements
                        if r.subdomain == sub.id and r.level == level and r.applies_to(industry_type)
                    )
                    if ids:
                        subs.append((sub.id, ids))
                if subs:
                    domains.append((domain.id, tuple(subs)))
            if domains:
                elements.append((element.id, tuple(domains)))
        tree.append((level, tuple(elements)))
    return Index(tree=tuple(tree))


def _validate(model: MaturityModel) -> None:
    """Fail loudly on a malformed data file rather than score against it."""
    sub_ids = {s.id for s in model.subdomains}
    seen: set[str] = set()
    for r in model.requirements:
        if r.id in seen:
            raise ValueError(f"duplicate requirement id {r.id}")
        seen.add(r.id)
        if r.subdomain not in sub_ids or r.level not in LEVELS or r.industry not in REQUIREMENT_INDUSTRIES:
            raise ValueError(f"requirement {r.id}: bad subdomain, level or industry")


@cache
def load_model() -> MaturityModel:
    """Load (once) the packaged model, requirement bank and scoring table."""
    structure = read_json("model.json")
    bank = read_json("requirements.json")
    table = read_json("scoring_table.json")
    weights = table["weights"]
    model = MaturityModel(
        version=structure["version"],
        requirements_version=bank["version"],
        table_version=table["version"],
        levels=tuple(Level(x["level"], x["name_zh"], x["name_en"]) for x in structure["levels"]),
        elements=tuple(Node(x["id"], x["name_zh"], x["name_en"], "") for x in structure["elements"]),
        domains=tuple(Node(x["id"], x["name_zh"], x["name_en"], x["element"]) for x in structure["domains"]),
        subdomains=tuple(
            Node(x["id"], x["name_zh"], x["name_en"], x["domain"], x["code"]) for x in structure["subdomains"]
        ),
        requirements=tuple(
            Requirement(
                id=x["id"],
                subdomain=x["subdomain"],
                level=x["level"],
                industry=x["industry"],
                effort=x["effort"],
                statement_zh=x["statement_zh"],
                statement_en=x["statement_en"],
                evidence_zh=x["evidence_zh"],
                evidence_en=x["evidence_en"],
                source=x["source"],
            )
            for x in bank["requirements"]
        ),
        weights=Weights(
            version=table["version"],
            scheme=weights["scheme"],
            note_en=weights["note_en"],
            note_zh=weights["note_zh"],
            overrides=tuple((o["parent"], o["child"], Fraction(o["weight"])) for o in weights["overrides"]),
        ),
        thresholds=Thresholds(
            continue_at=Fraction(table["thresholds"]["continue_at"]),
            level_cuts=tuple((Fraction(c), int(lv)) for c, lv in table["thresholds"]["level_cuts"]),
        ),
    )
    _validate(model)
    model._by_id.update({r.id: r for r in model.requirements})
    model._index.update({ind: _build_index(model, ind) for ind in INDUSTRIES})
    return model
