"""Tailoring (裁剪) per sub-domain, with a reason from a fixed list, as GB/T 39117 sets the assessment scope.

A tailored sub-domain is excluded at every level (never zero); a single requirement cannot be tailored:
its "n/a" counts as unanswered (0). Which sub-domains may be tailored and the reasons are data
(data/tailoring.json), read by the project from the standard (whose text is not in the repository).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from scoring.maturity.model import MaturityModel, read_json


@dataclass(frozen=True)
class Tailoring:
    """One sub-domain left out of the assessment scope, why (a reason code) and a free note."""

    subdomain: str
    reason: str
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-able form."""
        return {"subdomain": self.subdomain, "reason": self.reason, "note": self.note}


@dataclass(frozen=True)
class TailoringRules:
    """The fixed list of reasons and the tailorable sub-domains (the bureau's flag threshold is in scoring/supervision)."""

    version: str
    reasons: tuple[tuple[str, str, str], ...]  # (code, zh, en)
    tailorable: tuple[str, ...]
    source: str
    text_at_hand: bool

    def reason_names(self) -> dict[str, tuple[str, str]]:
        """Reason code → (zh, en)."""
        return {code: (zh, en) for code, zh, en in self.reasons}


@cache
def load_tailoring_rules() -> TailoringRules:
    """The packaged tailoring rules."""
    raw = read_json("tailoring.json")
    return TailoringRules(
        version=raw["version"],
        reasons=tuple((r["code"], r["name_zh"], r["name_en"]) for r in raw["reasons"]),
        tailorable=tuple(t["subdomain"] for t in raw["tailorable"]),
        source=raw["source"],
        text_at_hand=bool(raw["text_at_hand"]),
    )


def check_tailoring(
    subdomain: str, reason: str, model: MaturityModel, rules: TailoringRules | None = None
) -> str | None:
    """Why this tailoring is refused, or None when it is allowed."""
    table = rules or load_tailoring_rules()
    if subdomain not in {s.id for s in model.subdomains}:
        return f"unknown sub-domain {subdomain!r}"
    if subdomain not in table.tailorable:
        return f"sub-domain {subdomain} cannot be tailored (tailorable: {', '.join(table.tailorable)})"
    if reason not in table.reason_names():
        return f"reason {reason!r} is not one of {', '.join(table.reason_names())}"
    return None


def parse_tailoring(raw: Any, model: MaturityModel) -> tuple[Tailoring, ...]:
    """`{"logistics": {"reason": "fully_outsourced", "note": "…"}}` or a list of such objects → Tailoring."""
    from scoring.maturity.assessment import AssessmentError

    if raw is None:
        return ()
    items: Iterable[tuple[str, Any]]
    if isinstance(raw, Mapping):
        items = raw.items()
    elif isinstance(raw, list):
        items = [(str(x.get("subdomain", "")) if isinstance(x, Mapping) else "", x) for x in raw]
    else:
        raise AssessmentError("tailoring", "must map sub-domain id to {reason, note}")
    found = []
    for subdomain, spec in items:
        reason = str(spec.get("reason", "")) if isinstance(spec, Mapping) else str(spec)
        note = str(spec.get("note", "")) if isinstance(spec, Mapping) else ""
        refused = check_tailoring(str(subdomain), reason, model)
        if refused:
            raise AssessmentError(f"tailoring.{subdomain}", refused)
        found.append(Tailoring(str(subdomain), reason, note))
    return tuple(sorted(found, key=lambda t: t.subdomain))
