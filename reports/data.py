"""ReportData: the frozen, plain content of one diagnosis report, with its canonical JSON and content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from typing import Any, TypeVar, Union

T = TypeVar("T")


@dataclass(frozen=True)
class Text:
    """A sentence in both report languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class Cover:
    """Who and when: the parties of the order and its dates (ISO strings, Beijing time)."""

    order_number: str
    order_kind: str  # factory | workshop
    enterprise_name: str
    enterprise_uscc: str
    region_name: str
    industry_code: str
    scale: str
    provider_name: str
    bureau_name: str
    created_on: str
    visit_on: str
    submitted_on: str
    accepted_on: str
    scored_at: str


@dataclass(frozen=True)
class NodeRow:
    """One element, domain or sub-domain with its level scores (None = not applicable)."""

    id: str
    kind: str  # element | domain | subdomain
    name_zh: str
    name_en: str
    parent: str
    by_level: tuple[float | None, ...]
    overall: float | None


@dataclass(frozen=True)
class Summary:
    """Headline figures and three key findings."""

    level: int
    level_name: Text
    score: float
    level_scores: tuple[float, ...]
    findings: tuple[Text, ...]


@dataclass(frozen=True)
class Segment:
    """A coarse state interval of a device, in hours from the evidence window start."""

    start_h: float
    end_h: float
    state: str


@dataclass(frozen=True)
class FigureRow:
    """One measured figure as the evidence snapshot states it (issue #22): the number only when its status is
    ok, else the reason, in the words every page and the API use."""

    name: str
    label: Text
    status: str  # ok | insufficient | out_of_bounds | unavailable
    value: float | None
    text: Text
    population: tuple[str, ...]
    have_hours: float
    need_hours: float
    definition: Text = Text("", "")


@dataclass(frozen=True)
class DeviceEvidence:
    """Measured figures of one device over the evidence window (ratios set only where the figure is ok)."""

    external_id: str
    name: str
    kind: str
    networked: bool
    protocol: str
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    utilisation: float | None
    total_count: int
    good_count: int
    timeline: tuple[Segment, ...]
    # Issue #22: the snapshot's hours and every figure's status and words (a status word in the table where
    # the figure is not ok, the reason once in the note).
    observed_hours: float = 0.0
    known_hours: float = 0.0
    known_planned_hours: float = 0.0
    unknown_planned_hours: float = 0.0
    coverage: float | None = None
    coverage_basis: str = ""
    statuses: tuple[tuple[str, str, str], ...] = ()  # (figure, status, text)
    note: Text = Text("", "")


@dataclass(frozen=True)
class Evidence:
    """Plant-level measured evidence and the per-device detail."""

    window_start: str
    window_end: str
    window_hours: float
    devices_total: int
    devices_networked: int
    networking_rate: float | None
    coverage: float | None
    oee: float | None
    availability: float | None
    performance: float | None
    quality: float | None
    utilisation: float | None
    energy_per_unit_kwh: float | None
    devices: tuple[DeviceEvidence, ...]
    reconciled: tuple[Text, ...]  # claimed-vs-measured messages, contradictions first
    # Issue #11 (reports/evidence_notes.py): TEEP beside OEE, 数据不足 instead of a figure, the
    # 自评与实测不一致 rows (ContradictionRow), and how many requirements the data could check.
    teep: float | None = None
    oee_note: Text | None = None
    contradictions: tuple[Any, ...] = ()
    checked: int = 0
    # Issue #22: the plant figures of the evidence snapshot the scoring used, with status and definition.
    figures: tuple[FigureRow, ...] = ()
    snapshot_sha256: str = ""
    oee_basis: str = "pooled"
    networking_lines: tuple[tuple[str, str, bool], ...] = ()  # (code, name, connected) of production lines
    daily: tuple[tuple[str, str, float | None], ...] = ()  # (day, text, OEE when ok)


@dataclass(frozen=True)
class GapRow:
    """A requirement not fully met, in the gap list's priority order."""

    requirement_id: str
    subdomain: Text
    level: int
    current: float
    priority: float
    statement: Text
    band: str = ""  # high | medium | low (printed 高/中/低), see sections.priority_bands


@dataclass(frozen=True)
class StepRow:
    """One roadmap action with its cost and what it brings (money in integer fen)."""

    action_id: str
    name: Text
    category: str
    cost_fen: int
    cost_low_fen: int
    cost_high_fen: int
    duration_weeks: int
    level_after: int
    score_after: float
    subsidy_fen: int
    cumulative_cost_fen: int
    cumulative_subsidy_fen: int


@dataclass(frozen=True)
class SubsidyLine:
    """One policy clause's verdict for the roadmap's investments, with its citation."""

    policy: str
    clause: str
    clause_id: str
    source_file: str
    target: str
    target_name_zh: str
    status: str
    amount_fen: int
    explanation: str
    quote: str
    citation_zh: str = ""  # issuer, document number and clause, e.g. 常工信综合〔2021〕62号 第三条
    document_zh: str = ""  # issuer and document number
    clause_zh: str = ""  # 第三条
    explanation_zh: str = ""  # the verdict in Chinese, generated from the rule's data
    main: bool = True  # in force and applicable: main text; else the appendix table


@dataclass(frozen=True)
class Roadmap:
    """The improvement roadmap towards the target level and the subsidy it would earn."""

    target_level: int
    start_level: int
    final_level: int
    final_score: float
    reached: bool
    cost_fen: int
    subsidy_fen: int
    net_cost_fen: int
    upper_bound_fen: int
    gaps: tuple[GapRow, ...]
    steps: tuple[StepRow, ...]
    subsidy_lines: tuple[SubsidyLine, ...]


@dataclass(frozen=True)
class AnswerRow:
    """One questionnaire requirement as answered, with the measured proposal and notes."""

    requirement_id: str
    subdomain: Text
    level: int
    statement: Text
    rating: str  # "1" | "0.8" | "0.5" | "0" | "n/a" | "" (unanswered)
    measured: str
    evidence_note: str
    tailor_reason: str


@dataclass(frozen=True)
class AttachmentRow:
    """An evidence file on record (name as uploaded, shown as text)."""

    requirement_id: str
    filename: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Methodology:
    """The versions and hashes that reproduce the score."""

    industry_type: str
    versions: tuple[tuple[str, str], ...]
    input_hash: str
    rated: int
    unanswered: int
    tailored: int
    evidence_window_days: int
    silence_timeout_s: float
    tailoring: tuple[tuple[Text, Text, str], ...] = ()  # (sub-domain, reason, note), recorded before scoring


@dataclass(frozen=True)
class Peers:
    """Where the enterprise stands among peers of its industry and region (None figures: too few peers)."""

    group: Text  # e.g. 武进区 · 行业大类 34
    peers: int
    minimum: int
    percentile: float | None
    own_score: float
    peer_median: float | None


@dataclass(frozen=True)
class Signatures:
    """Who signs the deliverable: the provider, its assessors, the enterprise (names as on record)."""

    provider_name: str
    assessors: tuple[str, ...]
    enterprise_name: str
    lead: str = ""  # the order's 项目负责人 (issue #23); assessors are then its 诊断人员


@dataclass(frozen=True)
class CheckRow:
    """A row of the 自评与实测核对 table: a self-rating the measured data contradicted and what the consultant
    decided (`changed` to `new_rating`, or `kept` for `reason`; "" only in a draft: not decided yet)."""

    requirement_id: str
    statement: Text
    claimed: str  # rating code: 1 | 0.8 | 0.5 | 0
    proposed: str
    measured: str
    decision: str
    new_rating: str
    reason: str


@dataclass(frozen=True)
class SmeDecisionRow:
    """An SME item or scenario the measured data proposed an answer for, and what the consultant decided."""

    name_zh: str
    proposed_zh: str
    evidence_zh: str
    answer_zh: str
    decision: str  # accepted | overridden
    reason: str


@dataclass(frozen=True)
class SmeSection:
    """The SME digital-level rating (《中小企业数字化水平评测指标（2024年版）》) beside CMMM (issue #26): points
    as decimal text, every sentence in Chinese (the index has no other wording)."""

    level: int
    level_zh: str
    total: str
    max_total: str
    reason_zh: str
    next_zh: str
    rated_on: str
    index_title_zh: str
    dimensions: tuple[tuple[str, str, str], ...]  # (name, points, of points)
    scenarios: tuple[tuple[str, bool, str], ...]  # (name, constraint, grade)
    decisions: tuple[SmeDecisionRow, ...]
    comparison_zh: str  # "" without an earlier rating
    unconfirmed_zh: tuple[str, ...]
    notice_zh: str
    recognition_zh: str
    # Every item and scenario with the answer given, in index order (name, answer); reports issued before
    # this field have none.
    answers: tuple[tuple[str, str], ...] = ()
    index_version: str = ""
    # What the proposals read (the method of an SME-only report): the evidence window and silence timeout.
    evidence_days: int = 0
    silence_timeout_s: float = 0.0


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows; plain data so rendering needs no database."""

    cover: Cover
    evidence: Evidence
    # The CMMM parts: None or empty for an order rating the SME digital level alone (issue #26), whose report
    # is the SME rating (`sme`) with its measured evidence.
    summary: Summary | None = None
    elements: tuple[NodeRow, ...] = ()
    domains: tuple[NodeRow, ...] = ()
    subdomains: tuple[NodeRow, ...] = ()
    roadmap: Roadmap | None = None
    answers: tuple[AnswerRow, ...] = ()
    attachments: tuple[AttachmentRow, ...] = ()
    methodology: Methodology | None = None
    peers: Peers | None = None
    signatures: Signatures | None = None
    verify_base_url: str = ""  # the public verification page is {verify_base_url}/v/…
    checks: tuple[CheckRow, ...] = ()  # 自评与实测核对 (issue #23); versions issued before have none
    sme: SmeSection | None = None  # the SME digital level, for orders rating it (issue #26)


@dataclass(frozen=True)
class Stamp:
    """What identifies an issued report: number, version, language, issue time and content hash, and the audit
    chain's head when it was issued (record count and value), printed so the log can be checked against paper."""

    report_number: str
    version: int
    lang: str
    issued_at: str
    content_sha256: str
    audit_rows: int = 0
    audit_value: str = ""


def to_dict(data: ReportData) -> dict[str, Any]:
    """Plain JSON-able form of the report data."""
    return dataclasses.asdict(data)


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8 (what the content hash covers)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_sha256(
    data: ReportData,
    *,
    report_number: str,
    version: int,
    lang: str,
    issued_at: str,
    audit_head: dict[str, Any] | None = None,
) -> str:
    """SHA-256 of the canonical content: the data bound to the report number, version, language and time, and
    to the audit chain's head printed in it (versions issued before it was printed have none)."""
    envelope: dict[str, Any] = {
        "report_number": report_number,
        "version": version,
        "lang": lang,
        "issued_at": issued_at,
        "data": to_dict(data),
    }
    if audit_head is not None:
        envelope["audit_head"] = audit_head
    return hashlib.sha256(canonical_json(envelope)).hexdigest()


def from_dict(raw: dict[str, Any]) -> ReportData:
    """Rebuild ReportData from its stored JSON form."""
    return _build(ReportData, raw)


def _build(kind: Any, raw: Any) -> Any:
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        # Fields added later have defaults: rows stored before them rebuild without them.
        return kind(
            **{f.name: _build(hints[f.name], raw[f.name]) for f in dataclasses.fields(kind) if f.name in raw}
        )
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item) for item in raw)
        return tuple(_build(a, item) for a, item in zip(args, raw, strict=True))
    if origin in (Union, types.UnionType):
        if raw is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _build(options[0], raw)
    if kind is float and isinstance(raw, int):
        return float(raw)
    return raw
