"""Rule-based anomaly flags: claims contradicted by telemetry, visits without data, copies, rushed deliveries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations

from scoring.supervision.config import AuditRules
from scoring.supervision.records import DiagnosisRecord, Flag

CLAIM_CONTRADICTED = "claim_contradicted"
VISIT_WITHOUT_TELEMETRY = "visit_without_telemetry"
DUPLICATE_ANSWERS = "duplicate_answers"
DUPLICATE_REPORT = "duplicate_report"
SHORT_DELIVERY = "short_delivery"
SCORE_MISMATCH = "score_mismatch"
HEAVY_TAILORING = "heavy_tailoring"
KINDS = (
    CLAIM_CONTRADICTED,
    VISIT_WITHOUT_TELEMETRY,
    DUPLICATE_ANSWERS,
    DUPLICATE_REPORT,
    SHORT_DELIVERY,
    SCORE_MISMATCH,
    HEAVY_TAILORING,
)
_RATING_VALUES = {"1": 1.0, "0.8": 0.8, "0.5": 0.5, "0": 0.0}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _flag(
    record: DiagnosisRecord, kind: str, strength: float, evidence: dict[str, object], source: str
) -> Flag:
    return Flag(record.order_id, record.provider_id, record.enterprise_id, kind, strength, evidence, source)


def claims_contradicted(record: DiagnosisRecord, rules: AuditRules) -> list[Flag]:
    """Claimed ratings on networking/data-capture requirements that the measured indicator cannot support."""
    ev = record.evidence
    measured = {"networking_rate": ev.networking_rate, "coverage": ev.coverage}
    contradictions = []
    for check in rules.claims:
        claimed = _RATING_VALUES.get(record.rating(check.requirement) or "")
        value = measured[check.indicator]
        # A figure the snapshot could not state (数据不足, no ledger) contradicts nothing: no data is not 0 %.
        if value is None:
            continue
        if claimed is not None and claimed >= check.claimed_at_least and value < check.measured_below:
            contradictions.append(
                {
                    "requirement": check.requirement,
                    "claimed_rating": record.rating(check.requirement),
                    "indicator": check.indicator,
                    "measured": round(value, 3),
                    "needs_at_least": check.measured_below,
                    "source": check.source,
                }
            )
    if not contradictions:
        return []
    evidence: dict[str, object] = {
        "contradictions": contradictions,
        "production_devices": ev.production_devices,
        "devices_seen": ev.devices_seen,
        "never_seen": list(ev.never_seen),
    }
    strength = max(float(c["needs_at_least"]) - float(c["measured"]) for c in contradictions)  # type: ignore[arg-type]
    # Cite the rules actually contradicted (a coverage contradiction cites the coverage rule), each once.
    source = "; ".join(dict.fromkeys(str(c["source"]) for c in contradictions))
    return [_flag(record, CLAIM_CONTRADICTED, strength, evidence, source)]


def visit_without_telemetry(record: DiagnosisRecord, rules: AuditRules) -> list[Flag]:
    """An on-site visit around which the enterprise's devices sent nothing at all."""
    ev = record.evidence
    if record.visit_on is None or ev.visit_window_messages > 0:
        return []
    evidence: dict[str, object] = {
        "visit_on": record.visit_on.isoformat(),
        "window_days": rules.visit_window_days,
        "messages_in_window": ev.visit_window_messages,
        "messages_up_to_submission": ev.telemetry_messages,
        "production_devices": ev.production_devices,
    }
    return [_flag(record, VISIT_WITHOUT_TELEMETRY, 1.0, evidence, rules.sources["visit_window_days"])]


def short_delivery(record: DiagnosisRecord, rules: AuditRules) -> list[Flag]:
    """Delivered faster than a diagnosis of its kind can plausibly be done."""
    minimum = rules.min_delivery_days.get(record.kind, rules.min_delivery_days["factory"])
    days = record.delivery_days
    if days >= minimum:
        return []
    evidence: dict[str, object] = {
        "assigned_on": record.assigned_on.isoformat(),
        "submitted_on": record.submitted_on.isoformat(),
        "delivery_days": days,
        "min_days": minimum,
        "kind": record.kind,
    }
    return [
        _flag(record, SHORT_DELIVERY, float(minimum - days), evidence, rules.sources["min_delivery_days"])
    ]


def heavy_tailoring(record: DiagnosisRecord, rules: AuditRules) -> list[Flag]:
    """Many sub-domains tailored out of the self-assessment: the bureau should review why."""
    count = len({sub for sub, _reason in record.tailored})
    if count < rules.heavy_tailoring_min_subdomains:
        return []
    evidence: dict[str, object] = {
        "tailored": [{"subdomain": sub, "reason": reason} for sub, reason in record.tailored],
        "count": count,
        "min_subdomains": rules.heavy_tailoring_min_subdomains,
    }
    return [_flag(record, HEAVY_TAILORING, float(count), evidence, rules.sources["heavy_tailoring"])]


def answer_agreement(a: DiagnosisRecord, b: DiagnosisRecord) -> tuple[int, float]:
    """How many requirements both answered, and the share of those rated identically."""
    ra, rb = dict(a.answers), dict(b.answers)
    common = [rid for rid in ra if rid in rb]
    if not common:
        return 0, 0.0
    same = sum(1 for rid in common if ra[rid] == rb[rid])
    return len(common), same / len(common)


def identical_partial(a: DiagnosisRecord, b: DiagnosisRecord) -> int:
    """Requirements both rated with the same partial rating (0.5 or 0.8): all-0 or all-1 sets agree by nature."""
    rb = dict(b.answers)
    return sum(1 for rid, rating in a.answers if rating in ("0.5", "0.8") and rb.get(rid) == rating)


def shingles(text: str, size: int) -> frozenset[str]:
    """Character shingles of the text with whitespace and punctuation removed (works for Chinese)."""
    clean = _NOISE.sub("", text)
    return frozenset(clean[i : i + size] for i in range(max(len(clean) - size + 1, 0)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def duplicates(records: Sequence[DiagnosisRecord], rules: AuditRules) -> list[Flag]:
    """Near-identical answer sets or report texts across different enterprises of the same provider."""
    by_provider: dict[int, list[DiagnosisRecord]] = defaultdict(list)
    for record in records:
        by_provider[record.provider_id].append(record)
    found: list[Flag] = []
    for group in by_provider.values():
        texts = {r.order_id: shingles(r.report_text, rules.report_shingle_chars) for r in group}
        for a, b in combinations(sorted(group, key=lambda r: r.order_id), 2):
            if a.enterprise_id == b.enterprise_id:
                continue  # a repeat diagnosis of one enterprise may rightly repeat itself
            common, share = answer_agreement(a, b)
            partial = identical_partial(a, b)
            if (
                common >= rules.duplicate_min_answered
                and share >= rules.duplicate_min_identical_share
                and partial >= rules.duplicate_min_identical_partial
            ):
                extra: dict[str, object] = {"answered_by_both": common, "identical_partial_ratings": partial}
                found += _pair(a, b, DUPLICATE_ANSWERS, share, extra, rules)
            similarity = jaccard(texts[a.order_id], texts[b.order_id])
            if similarity >= rules.report_min_jaccard:
                found += _pair(a, b, DUPLICATE_REPORT, similarity, {}, rules)
    return found


def _pair(
    a: DiagnosisRecord,
    b: DiagnosisRecord,
    kind: str,
    share: float,
    extra: dict[str, object],
    rules: AuditRules,
) -> list[Flag]:
    source = rules.sources["duplicate_answers" if kind == DUPLICATE_ANSWERS else "duplicate_reports"]
    flags = []
    for this, other in ((a, b), (b, a)):
        evidence: dict[str, object] = {
            "similar_order_id": other.order_id,
            "similar_enterprise_id": other.enterprise_id,
            "similarity": round(share, 3),
            **extra,
        }
        flags.append(_flag(this, kind, share, evidence, source))
    return flags


def merge(flags: Iterable[Flag]) -> list[Flag]:
    """One flag per (order, kind): the strongest, with every similar order listed for copy flags."""
    best: dict[tuple[int, str], Flag] = {}
    similar: dict[tuple[int, str], set[int]] = defaultdict(set)
    for flag in flags:
        key = (flag.order_id, flag.kind)
        if "similar_order_id" in flag.evidence:
            similar[key].add(int(flag.evidence["similar_order_id"]))
        if key not in best or flag.strength > best[key].strength:
            best[key] = flag
    merged = []
    for key, flag in sorted(best.items()):
        if similar[key]:
            flag = Flag(
                **{**flag.__dict__, "evidence": {**flag.evidence, "similar_orders": sorted(similar[key])}}
            )
        merged.append(flag)
    return merged


def rule_flags(records: Sequence[DiagnosisRecord], rules: AuditRules) -> list[Flag]:
    """Every rule-based flag over the records, one per (order, kind)."""
    flags: list[Flag] = []
    for record in records:
        flags += claims_contradicted(record, rules)
        flags += visit_without_telemetry(record, rules)
        flags += short_delivery(record, rules)
        flags += heavy_tailoring(record, rules)
    flags += duplicates(records, rules)
    return merge(flags)
