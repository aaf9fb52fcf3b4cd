"""Assessment input: the assessor's ratings per requirement, validated, canonicalised and hashed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from scoring.maturity.model import INDUSTRIES, MaturityModel
from scoring.maturity.rule import RULE_VERSION
from scoring.maturity.tailoring import Tailoring, parse_tailoring

# 全部 / 大部分 / 部分 / 不满足 (GB/T 39117-2020 rating scale as used by the project).
RATINGS: dict[str, Fraction] = {
    "1": Fraction(1),
    "0.8": Fraction(4, 5),
    "0.5": Fraction(1, 2),
    "0": Fraction(0),
}
TAILORED = "n/a"


class AssessmentError(ValueError):
    """Invalid assessment input; `field` names the offending field (e.g. `answers.NW-L3-01`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.detail = message


@dataclass(frozen=True)
class Answer:
    """One answer: a rating, or tailored out (rating None) with a reason."""

    requirement_id: str
    rating: Fraction | None
    reason: str = ""

    @property
    def tailored(self) -> bool:
        """True when the requirement is tailored out (excluded, not zero)."""
        return self.rating is None


@dataclass(frozen=True, repr=False)
class Assessment:
    """An enterprise's answers for one industry type; unanswered requirements count as 0.

    `tailoring` names the sub-domains left out of the scope (recorded before scoring); `ignored_na`
    lists requirement-level "n/a" answers outside them, which count as unanswered.
    """

    industry_type: str
    answers: tuple[Answer, ...]
    tailoring: tuple[Tailoring, ...] = ()
    ignored_na: tuple[str, ...] = ()
    _by_id: dict[str, Answer] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.answers, key=lambda a: a.requirement_id))
        if len({a.requirement_id for a in ordered}) != len(ordered):
            raise AssessmentError("answers", "a requirement is answered twice")
        # Canonical order, so equal answer sets give equal assessments, hashes and results.
        object.__setattr__(self, "answers", ordered)
        self._by_id.update({a.requirement_id: a for a in ordered})

    def __repr__(self) -> str:
        rated = sum(1 for a in self.answers if not a.tailored)
        return f"Assessment({self.industry_type!r}, {rated} rated, {len(self.answers) - rated} tailored)"

    def answer(self, requirement_id: str) -> Answer | None:
        """The answer for a requirement, or None when unanswered."""
        return self._by_id.get(requirement_id)

    def with_ratings(self, ratings: Mapping[str, Fraction | None]) -> Assessment:
        """A copy with some ratings replaced (None = tailored out), other answers kept."""
        merged = dict(self._by_id)
        for rid, rating in ratings.items():
            old = merged.get(rid)
            merged[rid] = Answer(rid, rating, old.reason if old is not None else "")
        return Assessment(
            self.industry_type, tuple(merged[k] for k in sorted(merged)), self.tailoring, self.ignored_na
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form accepted back by `parse_assessment`."""
        answers: dict[str, Any] = {}
        for a in sorted(self.answers, key=lambda x: x.requirement_id):
            if a.rating is None:
                answers[a.requirement_id] = {"rating": TAILORED, "reason": a.reason} if a.reason else TAILORED
            else:
                answers[a.requirement_id] = float(a.rating) if a.rating.denominator != 1 else int(a.rating)
        out: dict[str, Any] = {"industry_type": self.industry_type, "answers": answers}
        if self.tailoring:
            out["tailoring"] = {t.subdomain: {"reason": t.reason, "note": t.note} for t in self.tailoring}
        return out


def rating_text(rating: Fraction | None) -> str:
    """Canonical text of a rating: '1', '0.8', '0.5', '0' or 'n/a'."""
    if rating is None:
        return TAILORED
    for text, value in RATINGS.items():
        if value == rating:
            return text
    raise ValueError(f"not a rating: {rating}")


def parse_rating(value: object, field_name: str) -> Fraction | None:
    """Rating from JSON: 1 | 0.8 | 0.5 | 0 (number or string) or 'n/a'; anything else is an error."""
    if isinstance(value, str) and value.strip().lower() == TAILORED:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AssessmentError(field_name, f"rating {value!r} is not one of 1, 0.8, 0.5, 0, 'n/a'")
    try:
        exact = Fraction(str(value).strip())
    except ValueError:
        exact = None
    if exact not in RATINGS.values():
        raise AssessmentError(field_name, f"rating {value!r} is not one of 1, 0.8, 0.5, 0, 'n/a'")
    return exact


def parse_assessment(data: Mapping[str, Any], model: MaturityModel) -> Assessment:
    """Validate JSON-like input `{"industry_type", "answers": {id: rating | "n/a" | {"rating", "reason"}}}`."""
    industry = data.get("industry_type")
    if industry not in INDUSTRIES:
        raise AssessmentError("industry_type", f"{industry!r} is not one of {', '.join(INDUSTRIES)}")
    raw_answers = data.get("answers", {})
    if not isinstance(raw_answers, Mapping):
        raise AssessmentError("answers", "must be an object mapping requirement id to rating")
    answers = []
    for rid in sorted(raw_answers):
        field_name = f"answers.{rid}"
        if model.requirement(str(rid)) is None:
            raise AssessmentError(field_name, "unknown requirement id")
        value = raw_answers[rid]
        reason = ""
        if isinstance(value, Mapping):
            reason = str(value.get("reason", ""))
            value = value.get("rating")
        answers.append(Answer(str(rid), parse_rating(value, field_name), reason))
    tailoring = parse_tailoring(data.get("tailoring"), model)
    return apply_tailoring(Assessment(str(industry), tuple(answers), tailoring), model)


def apply_tailoring(assessment: Assessment, model: MaturityModel) -> Assessment:
    """Tailor whole sub-domains out (every applicable requirement of them excluded, with the reason);
    a requirement-level "n/a" elsewhere counts as unanswered (0) and is listed in `ignored_na`.

    Idempotent: scoring applies it again, so an assessment built by hand cannot tailor single requirements.
    """
    tailored = {t.subdomain: t for t in assessment.tailoring}
    answers: dict[str, Answer] = {}
    ignored = set(assessment.ignored_na)
    for a in assessment.answers:
        req = model.requirement(a.requirement_id)
        sub = tailored.get(req.subdomain) if req is not None else None
        if sub is not None:
            answers[a.requirement_id] = Answer(a.requirement_id, None, sub.reason)
        elif a.rating is None:
            ignored.add(a.requirement_id)
        else:
            answers[a.requirement_id] = a
    for req in model.requirements:
        sub = tailored.get(req.subdomain)
        if sub is not None and req.applies_to(assessment.industry_type):
            answers[req.id] = Answer(req.id, None, sub.reason)
    return Assessment(
        assessment.industry_type,
        tuple(answers[k] for k in sorted(answers)),
        tuple(sorted(tailored.values(), key=lambda t: t.subdomain)),
        tuple(sorted(ignored)),
    )


def canonical_inputs(assessment: Assessment, model: MaturityModel) -> dict[str, Any]:
    """Everything a score depends on, in canonical form (ratings as exact text, versions named)."""
    return {
        "industry_type": assessment.industry_type,
        "answers": {a.requirement_id: rating_text(a.rating) for a in assessment.answers},
        "tailoring_reasons": {a.requirement_id: a.reason for a in assessment.answers if a.tailored},
        **({"tailoring": [t.to_dict() for t in assessment.tailoring]} if assessment.tailoring else {}),
        "model_version": model.version,
        "requirements_version": model.requirements_version,
        "table_version": model.table_version,
        "rule_version": RULE_VERSION,
    }


def input_hash(assessment: Assessment, model: MaturityModel) -> str:
    """sha256 of the canonical JSON of the inputs (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(
        canonical_inputs(assessment, model), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
