"""Assemble a ReportData from a submitted diagnosis: order, parties, stored score, answers, telemetry."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from fractions import Fraction

from sqlmodel import Session, select

from diagnose.models import (
    Answer,
    Bureau,
    DiagnosisOrder,
    Enterprise,
    OrderStatus,
    Provider,
    Region,
    Result,
    Role,
    SmeAnswer,
    SmeResult,
    User,
)
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import (
    assessments,
    contradictions,
    evidence_snapshot,
    order_staff,
    peer_standing,
    sme,
)
from reports import evidence_notes, policy, sections
from reports.data import (
    AnswerRow,
    AttachmentRow,
    CheckRow,
    Cover,
    DeviceEvidence,
    Evidence,
    FigureRow,
    Methodology,
    Peers,
    ReportData,
    Segment,
    Signatures,
    SmeDecisionRow,
    SmeSection,
    Text,
)
from scoring import planning
from scoring.china_time import CHINA_TZ
from scoring.indicators import snapshot_json
from scoring.indicators.figures import Figure, definition_text, figure_text
from scoring.indicators.snapshot import DeviceFigures, EvidenceSnapshot
from scoring.maturity.tailoring import load_tailoring_rules

REPORTABLE = (OrderStatus.submitted, OrderStatus.accepted)
EVIDENCE_WINDOW_DAYS = assessments.EVIDENCE_WINDOW_DAYS


class NotReportable(ValueError):
    """The order has no submitted diagnosis to report on."""


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).date().isoformat()
    return value.isoformat()


def _f(value: Fraction | float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _cover(
    session: Session, order: DiagnosisOrder, enterprise: Enterprise, result: Result | SmeResult
) -> Cover:
    provider = session.get(Provider, order.provider_id) if order.provider_id else None
    bureau = session.get(Bureau, order.bureau_id)
    region = session.get(Region, enterprise.region_code)
    return Cover(
        order_number=order.number,
        order_kind=order.kind,
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc,
        region_name=region.name if region else enterprise.region_code,
        industry_code=enterprise.industry_code,
        scale=enterprise.scale,
        provider_name=provider.name if provider else "",
        bureau_name=bureau.name if bureau else "",
        created_on=_day(order.created_at),
        visit_on=_day(order.visit_date),
        submitted_on=_day(order.submitted_at),
        accepted_on=_day(order.accepted_at),
        scored_at=result.created_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
    )


LABELS = {
    "networking_rate": Text("设备联网率", "Device networking rate"),
    "coverage": Text("数据采集覆盖率", "Data-capture coverage"),
    "oee": Text("设备综合效率（OEE）", "OEE"),
    "availability": Text("时间开动率", "Availability"),
    "performance": Text("性能开动率", "Performance"),
    "quality": Text("合格品率", "Quality"),
    "teep": Text("完全有效生产率（TEEP）", "TEEP"),
    "utilisation": Text("设备利用率", "Utilisation"),
    "energy_per_unit_kwh": Text("单位产品能耗", "Energy per good unit"),
}
ORDER = tuple(LABELS)


def _row(figure: Figure, oee_basis: str) -> FigureRow:
    return FigureRow(
        name=figure.name,
        label=LABELS[figure.name],
        status=figure.status,
        value=_f(figure.value) if figure.ok else None,
        text=Text(figure_text(figure, "zh"), figure_text(figure, "en")),
        population=figure.population,
        have_hours=round(figure.have_hours, 4),
        need_hours=figure.need_hours,
        definition=Text(
            definition_text(figure.name, figure, oee_basis=oee_basis, lang="zh"),
            definition_text(figure.name, figure, oee_basis=oee_basis, lang="en"),
        )
        if figure.ok
        else Text("", ""),
    )


def _ok(figure: Figure) -> float | None:
    return _f(figure.value) if figure.ok else None


def _device_note(device: DeviceFigures) -> Text:
    zh: list[str] = []
    en: list[str] = []
    for name in ("oee", "utilisation", "coverage"):
        figure = device.figures[name]
        if figure.status != "ok" and figure_text(figure, "zh") not in zh:
            zh.append(figure_text(figure, "zh"))
            en.append(figure_text(figure, "en"))
    return Text("；".join(zh), "; ".join(en))


def evidence_of(snapshot: EvidenceSnapshot, *, sha: str, contradictions: tuple[Text, ...]) -> Evidence:
    """The report's measured evidence: the snapshot the scoring used, as it states it (nothing computed)."""
    window = snapshot.window
    hours = (window.end - window.start).total_seconds() / 3600
    figures = snapshot.figures
    production = [line for line in snapshot.ledger if line.production]
    rows = []
    for d in snapshot.devices:
        segments = [
            Segment(
                round((seg.start - window.start).total_seconds() / 3600, 4),
                round((seg.end - window.start).total_seconds() / 3600, 4),
                seg.state,
            )
            for seg in d.timeline
        ]
        rows.append(
            DeviceEvidence(
                external_id=d.external_id,
                name=d.name,
                kind=d.kind,
                networked=True,
                protocol="",
                availability=_ok(d.figures["availability"]),
                performance=_ok(d.figures["performance"]),
                quality=_ok(d.figures["quality"]),
                oee=_ok(d.figures["oee"]),
                utilisation=_ok(d.figures["utilisation"]),
                total_count=d.total_count,
                good_count=d.good_count,
                timeline=tuple(segments),
                observed_hours=round(float(d.observed_s) / 3600, 4),
                known_hours=round(float(d.known_s) / 3600, 4),
                known_planned_hours=round(float(d.known_planned_s) / 3600, 4),
                unknown_planned_hours=round(float(d.unknown_planned_s) / 3600, 4),
                coverage=_ok(d.figures["coverage"]),
                coverage_basis=d.coverage_basis,
                statuses=tuple(
                    (name, f.status, figure_text(f, "zh")) for name, f in sorted(d.figures.items())
                ),
                note=_device_note(d),
            )
        )
    return Evidence(
        window_start=window.start.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        window_end=window.end.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        window_hours=hours,
        devices_total=len(production),
        devices_networked=sum(1 for line in production if line.connected or line.device_external_id),
        networking_rate=_ok(figures["networking_rate"]),
        coverage=_ok(figures["coverage"]),
        oee=_ok(figures["oee"]),
        availability=_ok(figures["availability"]),
        performance=_ok(figures["performance"]),
        quality=_ok(figures["quality"]),
        utilisation=_ok(figures["utilisation"]),
        energy_per_unit_kwh=_ok(figures["energy_per_unit_kwh"]),
        teep=_ok(figures["teep"]),
        devices=tuple(rows),
        reconciled=contradictions,
        figures=tuple(_row(figures[name], snapshot.oee_basis) for name in ORDER),
        snapshot_sha256=sha,
        oee_basis=snapshot.oee_basis,
        networking_lines=tuple(
            (line.code, line.name, bool(line.connected or line.device_external_id)) for line in production
        ),
        daily=tuple((day, figure_text(f, "zh"), _ok(f)) for day, f in snapshot.daily),
    )


def _peers(session: Session, order: DiagnosisOrder, result: Result) -> Peers:
    found = peer_standing.standing(session=session, order=order, result=result)
    return Peers(
        group=Text(
            f"{found.region_name} · 国民经济行业大类 {found.industry_division}",
            f"{found.region_name} · GB/T 4754 division {found.industry_division}",
        ),
        peers=found.peers,
        minimum=found.minimum,
        percentile=found.percentile,
        own_score=found.own_score,
        peer_median=found.peer_median,
    )


def _signatures(session: Session, order: DiagnosisOrder, enterprise: Enterprise, provider: str) -> Signatures:
    """The order's 项目负责人 and 诊断人员 as named on it; for an order that names nobody (scored before
    teams were named), the provider's users who rated its answers."""
    staff = order_staff.staff_of(session=session, order=order)
    if staff.lead is not None:
        return Signatures(
            provider_name=provider,
            assessors=tuple(orgs.display_name(u) for u in staff.members),
            enterprise_name=enterprise.name,
            lead=orgs.display_name(staff.lead),
        )
    if order.rates_cmmm:
        assessment = assessments.get_or_create(session=session, order=order)
        rows: Iterable[Answer | SmeAnswer] = session.exec(
            select(Answer).where(Answer.assessment_id == assessment.id)
        )
    else:
        rows = session.exec(select(SmeAnswer).where(SmeAnswer.order_id == order.id))
    ids = {a.updated_by for a in rows if a.updated_by is not None}
    names = sorted(
        orgs.display_name(u)
        for u in (session.get(User, i) for i in ids)
        if u is not None and u.role == Role.provider and u.provider_id == order.provider_id
    )
    return Signatures(provider_name=provider, assessors=tuple(names), enterprise_name=enterprise.name)


def assemble(
    *,
    session: Session,
    order: DiagnosisOrder,
    silence_timeout_s: float = 600,
    public_url: str | None = None,
    draft: bool = False,
) -> ReportData:
    """The report content of a submitted or accepted order, from its newest scoring result.

    `public_url` is the platform's public base URL printed with the verification QR code (default: the
    `DIAGNOSE_PUBLIC_URL` setting, else the address `diagnose serve` answers at). `draft`: any scored order (the preview before submission, printed 草稿).
    """
    if not draft and order.status not in REPORTABLE:
        raise NotReportable(f"order {order.number} is {order.status}; only submitted or accepted orders")
    if public_url is None:
        from diagnose.settings import load_settings

        settings = load_settings()
        public_url = settings.public_url or settings.served_url
    if not order.rates_cmmm:
        return _assemble_sme_only(
            session=session, order=order, public_url=public_url, silence_timeout_s=silence_timeout_s
        )
    result = assessments.latest_result(session=session, order=order)
    if result is None:
        raise NotReportable(f"order {order.number} has no scoring result")
    enterprise = session.get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    model = assessments.model()
    detail = result.detail
    score = detail["score"]
    parents = {n.id: n.parent for n in (*model.elements, *model.domains, *model.subdomains)}
    sub_names = {n.id: Text(n.name_zh, n.name_en) for n in model.subdomains}
    reconciled = detail.get("reconciled") or []
    snapshot = evidence_snapshot.of_result(
        session=session, result=result, silence_timeout_s=silence_timeout_s
    )
    record = evidence_snapshot.record_of(session=session, result=result)
    evidence = evidence_of(
        snapshot,
        sha=record.sha256 if record else snapshot_json.sha256(snapshot),
        contradictions=sections.reconciled_texts(reconciled),
    )
    evidence = dataclasses.replace(
        evidence,
        contradictions=evidence_notes.contradiction_rows(reconciled),
        checked=len(reconciled),
    )
    roadmap = sections.roadmap(detail, sub_names)
    scored_on = result.created_at.astimezone(CHINA_TZ).date().isoformat()
    roadmap = dataclasses.replace(
        roadmap,
        subsidy_lines=policy.localise(
            roadmap.subsidy_lines,
            detail,
            region=enterprise.region_code,
            on=scored_on,
            industry=planning.industry_section(enterprise.industry_code),
            strategic_emerging=enterprise.strategic_emerging,
        ),
    )
    domains = sections.nodes("domain", score["domains"], parents)
    found = sections.findings(
        int(score["level"]),
        domains,
        evidence.networking_rate,
        evidence.coverage,
        evidence.oee,
        sum(1 for r in reconciled if r.get("contradiction")),
        roadmap,
        measured=evidence_notes.measured_sentence_of(
            evidence.figures, len(evidence.contradictions), evidence.checked
        ),
    )
    assessment = assessments.get_or_create(session=session, order=order)
    saved = assessments.answers_of(session=session, assessment=assessment)
    proposed = {r["requirement_id"]: r.get("proposed") for r in reconciled}
    answers = []
    for requirement in assessments.requirements_for(assessment.industry_type):
        answer = saved.get(requirement.id)
        measured = proposed.get(requirement.id)
        answers.append(
            AnswerRow(
                requirement_id=requirement.id,
                subdomain=sub_names.get(requirement.subdomain, Text("", "")),
                level=requirement.level,
                statement=Text(requirement.statement_zh, requirement.statement_en),
                rating=(answer.rating or "") if answer else "",
                measured="" if measured is None else f"{measured:g}",
                evidence_note=(answer.evidence_note or "") if answer else "",
                tailor_reason=(answer.tailor_reason or "") if answer else "",
            )
        )
    counts = score.get("counts", {})
    cover = _cover(session, order, enterprise, result)
    return ReportData(
        cover=cover,
        summary=sections.summary(score, found),
        elements=sections.nodes("element", score["elements"], parents),
        domains=domains,
        subdomains=sections.nodes("subdomain", score["subdomains"], parents),
        evidence=evidence,
        roadmap=roadmap,
        answers=tuple(answers),
        attachments=tuple(
            AttachmentRow(a.requirement_id, a.filename, a.size_bytes, a.sha256)
            for a in assessments.attachments_of(session=session, order=order)
        ),
        methodology=Methodology(
            industry_type=score.get("industry_type", assessment.industry_type),
            versions=tuple(sorted((str(k), str(v)) for k, v in score.get("versions", {}).items())),
            input_hash=result.input_hash,
            rated=int(counts.get("rated", 0)),
            unanswered=int(counts.get("unanswered_counted_as_zero", 0)),
            tailored=int(counts.get("tailored", 0)),
            evidence_window_days=EVIDENCE_WINDOW_DAYS,
            silence_timeout_s=float(snapshot.silence_timeout_s),
            tailoring=_tailoring_rows(detail, sub_names),
        ),
        peers=_peers(session, order, result),
        signatures=_signatures(session, order, enterprise, cover.provider_name),
        verify_base_url=public_url.rstrip("/"),
        checks=tuple(
            CheckRow(
                requirement_id=c.requirement_id,
                statement=Text(c.statement_zh, c.statement_en),
                claimed=c.claimed,
                proposed=c.proposed,
                measured=c.measured,
                decision=c.decision,
                new_rating=c.new_rating,
                reason=c.reason,
            )
            for c in contradictions.checks(session=session, order=order, result=result)
        ),
        sme=sme_section(session=session, order=order, silence_timeout_s=silence_timeout_s),
    )


def has_rating(*, session: Session, order: DiagnosisOrder) -> bool:
    """Whether the order has the rating its report is built from: a CMMM scoring result, or for an order
    rating the SME digital level alone, an SME rating (cheap: no assembly)."""
    if order.rates_cmmm:
        return assessments.latest_result(session=session, order=order) is not None
    return sme.latest(session=session, order=order) is not None


def _assemble_sme_only(
    *, session: Session, order: DiagnosisOrder, public_url: str, silence_timeout_s: float
) -> ReportData:
    """The report of a visit rating the SME digital level alone: cover, the SME rating with its decisions and
    answers, and the measured week its proposals read (kept with the rating)."""
    row = sme.latest(session=session, order=order)
    snapshot = assessments.kept_sme_snapshot(session=session, order=order)
    if row is None or snapshot is None:
        raise NotReportable(f"order {order.number} has no SME digital-level rating")
    enterprise = session.get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    cover = _cover(session, order, enterprise, row)
    return ReportData(
        cover=cover,
        evidence=evidence_of(snapshot, sha=snapshot_json.sha256(snapshot), contradictions=()),
        signatures=_signatures(session, order, enterprise, cover.provider_name),
        verify_base_url=public_url.rstrip("/"),
        sme=sme_section(session=session, order=order, silence_timeout_s=silence_timeout_s),
    )


def sme_section(
    *, session: Session, order: DiagnosisOrder, silence_timeout_s: float = 600
) -> SmeSection | None:
    """The order's newest SME rating as the report prints it (None: the order has none)."""
    shown = sme.shown(session=session, order=order)
    if shown is None or shown["row"] is None:
        return None
    row, detail, comparison, index = shown["row"], shown["detail"], shown["comparison"], shown["index"]
    return SmeSection(
        level=row.level,
        level_zh=detail["level_zh"],
        total=detail["total"],
        max_total=detail["max_total"],
        reason_zh=detail["reason_zh"],
        next_zh=detail["next_zh"],
        rated_on=_day(row.created_at),
        index_title_zh=index.title_zh.split("（项目编码）")[0],
        dimensions=tuple((d["name_zh"], d["points"], d["max_points"]) for d in detail["dimensions"]),
        scenarios=tuple((s["name_zh"], bool(s["constraint"]), s["grade_zh"]) for s in detail["scenarios"]),
        decisions=tuple(
            SmeDecisionRow(
                d["name_zh"], d["proposed_zh"], d["evidence_zh"], d["answer_zh"], d["decision"], d["reason"]
            )
            for d in shown["decisions"]
        ),
        comparison_zh=comparison.summary_zh if comparison else "",
        unconfirmed_zh=tuple(dict.fromkeys(u["note_zh"] for u in detail.get("unconfirmed", []))),
        notice_zh=detail.get("notice_zh", ""),
        recognition_zh=shown["recognition_zh"],
        answers=tuple(
            (sme.name_zh(key, index), sme.answer_text_zh(key, value, index))
            for key, value in sme.answers_in_index_order(detail.get("answers", {}), index)
        ),
        index_version=row.index_version,
        evidence_days=EVIDENCE_WINDOW_DAYS,
        silence_timeout_s=float(silence_timeout_s),
    )


def _tailoring_rows(
    detail: dict[str, object], sub_names: dict[str, Text]
) -> tuple[tuple[Text, Text, str], ...]:
    """The sub-domains tailored out before scoring, with the reason from the fixed list (result detail)."""
    names = load_tailoring_rules().reason_names()
    rows = []
    items = detail.get("tailoring", [])
    for item in items if isinstance(items, list) else []:
        zh, en = names.get(item["reason"], (item["reason"], item["reason"]))
        rows.append(
            (
                sub_names.get(item["subdomain"], Text(item["subdomain"], item["subdomain"])),
                Text(zh, en),
                item.get("note", ""),
            )
        )
    return tuple(rows)
