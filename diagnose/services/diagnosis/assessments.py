"""The maturity questionnaire of an order: answers saved one at a time, evidence files, and scoring."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import (
    Answer,
    Assessment,
    Attachment,
    DiagnosisOrder,
    Enterprise,
    EvidenceSnapshotRecord,
    Result,
    SmeResult,
    User,
)
from diagnose.models.base import utcnow
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis import evidence_snapshot, policy_store, tailoring
from diagnose.workflow import EDITABLE
from scoring import maturity, planning
from scoring.china_time import china_today
from scoring.indicators import snapshot_json
from scoring.indicators.snapshot import EvidenceSnapshot
from scoring.subsidy import Catalogue

RATING_CHOICES = ("1", "0.8", "0.5", "0", "n/a")
MAX_NOTE_CHARS = 4000
ALLOWED_UPLOADS = {".pdf", ".jpg", ".jpeg", ".png", ".heic", ".webp", ".xlsx", ".docx", ".csv", ".txt"}
EVIDENCE_WINDOW_DAYS = evidence_snapshot.EVIDENCE_WINDOW_DAYS


def model() -> maturity.MaturityModel:
    """The CMMM model (cached by the scoring package)."""
    return maturity.load_model()


def requirements_for(industry_type: str) -> list[maturity.Requirement]:
    """Requirements that apply to an industry type, in bank order."""
    return [r for r in model().requirements if r.industry in ("both", industry_type)]


def get_or_create(*, session: Session, order: DiagnosisOrder) -> Assessment:
    """The order's questionnaire, created on first use with the enterprise's industry type."""
    found = session.exec(select(Assessment).where(Assessment.order_id == order.id)).first()
    if found is not None:
        return found
    enterprise = session.get(Enterprise, order.enterprise_id)
    assessment = Assessment(
        order_id=order.id,  # type: ignore[arg-type]
        industry_type=enterprise.industry_type if enterprise else "discrete",
        model_version=model().version,
    )
    session.add(assessment)
    session.flush()
    return assessment


def answers_of(*, session: Session, assessment: Assessment) -> dict[str, Answer]:
    """Saved answers by requirement id."""
    rows = session.exec(select(Answer).where(Answer.assessment_id == assessment.id)).all()
    return {a.requirement_id: a for a in rows}


def save_answer(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    requirement_id: str,
    rating: str | None,
    evidence_note: str | None = None,
    tailor_reason: str | None = None,
) -> Answer:
    """Store one requirement's rating and notes (idempotent: the last write wins) while the order is editable."""
    if order.status not in EDITABLE:
        raise ValidationError("status", "questionnaire_status", status=order.status)
    if model().requirement(requirement_id) is None:
        raise ValidationError("requirement_id", "unknown_requirement")
    if rating not in (None, "", *RATING_CHOICES):
        raise ValidationError("rating", "rating_choice")
    for name, text in (("evidence_note", evidence_note), ("tailor_reason", tailor_reason)):
        if text is not None and len(text) > MAX_NOTE_CHARS:
            raise ValidationError(name, "max_chars", max_length=MAX_NOTE_CHARS)
    assessment = get_or_create(session=session, order=order)
    answer = answers_of(session=session, assessment=assessment).get(requirement_id) or Answer(
        assessment_id=assessment.id,  # type: ignore[arg-type]
        requirement_id=requirement_id,
    )
    answer.rating = rating or None
    if evidence_note is not None:
        answer.evidence_note = evidence_note
    if tailor_reason is not None:
        answer.tailor_reason = tailor_reason
    answer.updated_by, answer.updated_at = actor.id, utcnow()
    assessment.updated_at = answer.updated_at
    session.add_all([answer, assessment])
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="answer.save",
        entity="order",
        entity_id=order.id,
        detail={"requirement_id": requirement_id, "rating": answer.rating},
    )
    return answer


def add_attachment(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    requirement_id: str,
    filename: str,
    content_type: str,
    data: bytes,
    upload_dir: Path,
) -> Attachment:
    """Store an evidence file under upload_dir/<order id>/ with a random name, and record it."""
    if order.status not in EDITABLE:
        raise ValidationError("status", "attach_while_open")
    if model().requirement(requirement_id) is None:
        raise ValidationError("requirement_id", "unknown_requirement")
    if Path(filename).suffix.lower() not in ALLOWED_UPLOADS or not data:
        raise ValidationError("file", "file_types", types=sorted(ALLOWED_UPLOADS))
    folder = upload_dir / str(order.id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = uuid.uuid4().hex
    (folder / stored).write_bytes(data)
    attachment = Attachment(
        order_id=order.id,  # type: ignore[arg-type]
        requirement_id=requirement_id,
        filename=Path(filename).name[:255],
        stored_name=stored,
        content_type=content_type[:128] or "application/octet-stream",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor.id,
    )
    session.add(attachment)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="attachment.add",
        entity="order",
        entity_id=order.id,
        detail={
            "attachment_id": attachment.id,
            "requirement_id": requirement_id,
            "sha256": attachment.sha256,
        },
    )
    return attachment


def attachments_of(*, session: Session, order: DiagnosisOrder) -> list[Attachment]:
    """An order's evidence files, oldest first."""
    statement = select(Attachment).where(Attachment.order_id == order.id).order_by(col(Attachment.id))
    return list(session.exec(statement))


def live_snapshot(
    *, session: Session, order: DiagnosisOrder, now: datetime | None = None, silence_timeout_s: float = 600
) -> EvidenceSnapshot:
    """The plant's evidence snapshot over the week before `now` (a live page before scoring): the same
    function the scoring stores."""
    return evidence_snapshot.compute(
        session=session,
        enterprise_id=order.enterprise_id,
        window=evidence_snapshot.evidence_window(now or datetime.now(UTC)),
        silence_timeout_s=silence_timeout_s,
    )


def page_snapshot(
    *, session: Session, order: DiagnosisOrder, now: datetime | None = None, silence_timeout_s: float = 600
) -> EvidenceSnapshot:
    """The plant's figures as the order's questionnaires show them: while the order is open, the last week
    measured with the function the scoring stores (a ledger or calendar change shows at once); once submitted,
    the snapshot its result stored, as the result page, the report and the API show it (an SME-only order's:
    the snapshot its SME rating kept)."""
    if order.status not in EDITABLE:
        result = latest_result(session=session, order=order)  # None for an SME-only order
        if result is not None:
            return evidence_snapshot.of_result(
                session=session, result=result, silence_timeout_s=silence_timeout_s
            )
        kept = kept_sme_snapshot(session=session, order=order)
        if kept is not None:
            return kept
    return live_snapshot(session=session, order=order, now=now, silence_timeout_s=silence_timeout_s)


def kept_sme_snapshot(*, session: Session, order: DiagnosisOrder) -> EvidenceSnapshot | None:
    """The snapshot kept by the order's newest SME rating when the order rates the SME level alone."""
    record = session.exec(
        select(EvidenceSnapshotRecord)
        .join(SmeResult, col(SmeResult.snapshot_id) == EvidenceSnapshotRecord.id)
        .where(SmeResult.order_id == order.id)
        .order_by(col(SmeResult.id).desc())
    ).first()
    return evidence_snapshot.of_record(record) if record is not None else None


def measured_from(snapshot: EvidenceSnapshot) -> maturity.MeasuredEvidence:
    """The scoring's measured evidence: the snapshot's plant figures, each with its status and data."""
    production = [line for line in snapshot.ledger if line.production]
    connected = [line for line in production if line.connected or line.device_external_id]
    return maturity.from_figures(
        snapshot.figures,
        devices_total=len(production) if production else None,
        devices_networked=len(connected) if production else None,
        # Connected meters prove metering; none connected proves nothing (the plant may meter off-line).
        has_energy_metering=True if any(d.metered for d in snapshot.devices) else None,
        window_days=EVIDENCE_WINDOW_DAYS,
    )


def measured_evidence(
    *, session: Session, order: DiagnosisOrder, now: datetime | None = None, silence_timeout_s: float = 600
) -> maturity.MeasuredEvidence:
    """Measured indicators of the order's enterprise over the last week, from its live snapshot."""
    return measured_from(
        live_snapshot(session=session, order=order, now=now, silence_timeout_s=silence_timeout_s)
    )


def evidence_notes(
    *, session: Session, assessment: Assessment, evidence: maturity.MeasuredEvidence
) -> tuple[dict[str, list[maturity.Shortfall]], dict[str, maturity.Reconciled]]:
    """What the questionnaire shows beside the answers: per requirement the rules that propose nothing
    (数据不足, flagged, or the rule asking for more data than the figure has), and the claims that contradict
    the data. The figures themselves are shown as the snapshot states them."""
    the_model = model()
    proposals = maturity.propose_ratings(evidence, the_model)
    by_requirement: dict[str, list[maturity.Shortfall]] = {}
    for shortfall in maturity.shortfalls(evidence, the_model):
        by_requirement.setdefault(shortfall.requirement_id, []).append(shortfall)
    claimed = to_assessment(session=session, assessment=assessment)
    reconciled = maturity.reconcile(claimed, proposals)
    contradictions = {r.requirement_id: r for r in reconciled if r.contradiction}
    return by_requirement, contradictions


def to_assessment(*, session: Session, assessment: Assessment) -> maturity.Assessment:
    """The pure scoring input built from the saved answers (blank ratings are left unanswered)."""
    answers = []
    for a in answers_of(session=session, assessment=assessment).values():
        if not a.rating:
            continue
        value = None if a.rating == "n/a" else Fraction(a.rating)
        answers.append(maturity.Answer(a.requirement_id, value, a.tailor_reason or ""))
    rows = tailoring.of_assessment(session=session, assessment=assessment)
    return maturity.apply_tailoring(
        maturity.Assessment(assessment.industry_type, tuple(answers), tailoring.as_scoring(rows)), model()
    )


def _enterprise_terms(enterprise: Enterprise, sme_level: int = 0) -> dict[str, Any]:
    """What the subsidy engine needs to know of the enterprise. A code from which no GB/T 4754 section can be
    read (stored before codes were checked) is left out, so manufacturing (C) is assumed instead of the scoring
    failing: every diagnosed enterprise is a manufacturer."""
    terms: dict[str, Any] = {
        "region": enterprise.region_code,
        "strategic_emerging": enterprise.strategic_emerging,
    }
    section = planning.industry_section(enterprise.industry_code)
    if section:
        terms["industry"] = section
    if sme_level:  # a clause may name a digital level (issue #26); unrated enterprises send nothing
        terms["sme_level"] = sme_level
    return terms


def subsidy_of(
    enterprise: Enterprise,
    investments: maturity.Investments,
    on: date | None = None,
    catalogue: Catalogue | None = None,
    sme_level: int = 0,
) -> Any:
    """The clause-by-clause subsidy result for the investments under the policies in force `on` (today)."""
    return planning.subsidy_result(
        investments,
        date=(on or china_today(utcnow())).isoformat(),
        catalogue=catalogue,
        **_enterprise_terms(enterprise, sme_level),
    )


def _subsidy_fn(
    enterprise: Enterprise, catalogue: Catalogue, on: date | None = None, sme_level: int = 0
) -> Callable[[maturity.Investments], int]:
    return planning.subsidy_function(
        date=(on or china_today(utcnow())).isoformat(),
        catalogue=catalogue,
        **_enterprise_terms(enterprise, sme_level),
    )


def subsidy_detail(
    enterprise: Enterprise,
    investments: maturity.Investments,
    catalogue: Catalogue,
    on: date | None = None,
    sme_level: int = 0,
) -> dict[str, Any]:
    """The result's subsidy section (applied for `on`, the scoring's day): lines, sure total and ceilings
    apart, and the catalogue it used."""
    detail: dict[str, Any] = subsidy_of(
        enterprise, investments, on=on, catalogue=catalogue, sme_level=sme_level
    ).to_dict()
    detail["policy_versions"] = policy_store.policy_versions_of(catalogue)
    return detail


def roadmap_ceilings(subsidy: dict[str, Any]) -> dict[str, Any]:
    """What the roadmap says of its subsidy: sure amounts only are counted; the ceilings are listed apart."""
    return {
        "subsidy_counts": "sure_only",
        "subsidy_ceilings": [
            {
                "clause_id": line["clause_id"],
                "source_file": line["source_file"],
                "clause": line["clause"],
                "target_name_zh": line["target_name_zh"],
                "ceiling_cny": line["ceiling_cny"],
            }
            for line in subsidy["lines"]
            if line["basis"] == "ceiling" and line["clause_id"] in subsidy["ceiling_clauses"]
        ],
    }


def _sme_level(session: Session, enterprise_id: int) -> int:
    """The enterprise's newest SME digital level (0: none rated), what a policy naming a level reads."""
    newest = session.exec(
        select(SmeResult.level)
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == SmeResult.order_id)
        .where(DiagnosisOrder.enterprise_id == enterprise_id)
        .order_by(col(SmeResult.created_at).desc(), col(SmeResult.id).desc())
    ).first()
    return newest or 0


def run_scoring(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    target_level: int | None = None,
    silence_timeout_s: float = 600,
    now: datetime | None = None,
) -> Result:
    """Score the questionnaire with measured evidence, plan the roadmap and size its subsidy; store a Result
    with the evidence snapshot it used (the week before `now`, the moment of scoring)."""
    if order.status not in EDITABLE:
        raise ValidationError("status", "order_status", action="score", status=order.status)
    the_model = model()
    scored_at = now or utcnow()
    assessment = get_or_create(session=session, order=order)
    claimed = to_assessment(session=session, assessment=assessment)
    snapshot = live_snapshot(session=session, order=order, now=scored_at, silence_timeout_s=silence_timeout_s)
    evidence = measured_from(snapshot)
    reconciled = maturity.reconcile(claimed, maturity.propose_ratings(evidence, the_model))
    final = maturity.apply_reconciled(claimed, reconciled)
    scored = maturity.score(final, the_model)
    enterprise = session.get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    target = target_level or min(scored.level + 1, 5)
    policies = policy_store.catalogue(session=session)
    scored_on = china_today(scored_at)
    sme_level = _sme_level(session, enterprise.id)  # type: ignore[arg-type]
    roadmap = maturity.plan_roadmap(
        final, the_model, target, enterprise.scale, _subsidy_fn(enterprise, policies, scored_on, sme_level)
    )
    subsidy = subsidy_detail(enterprise, roadmap.investments, policies, scored_on, sme_level)
    result = Result(
        order_id=order.id,  # type: ignore[arg-type]
        level=scored.level,
        score=f"{float(scored.score):.4f}",
        level_scores=[round(float(x), 4) for x in scored.level_scores],
        detail={
            "score": scored.to_dict(),
            "reconciled": [r.to_dict() for r in reconciled],
            "shortfalls": [x.to_dict() for x in maturity.shortfalls(evidence, the_model)],
            "gaps": maturity.gap_list(final, the_model).to_dict(),
            "roadmap": {**roadmap.to_dict(), **roadmap_ceilings(subsidy)},
            "subsidy": subsidy,
            "assessment_kind": "self_assessment",
            "tailoring": [t.to_dict() for t in final.tailoring],
            "evidence": {
                "snapshot_sha256": snapshot_json.sha256(snapshot),
                "snapshot_version": snapshot.version,
                "figure_rules_version": snapshot.rules_version,
                "window": [snapshot.window.start.isoformat(), snapshot.window.end.isoformat()],
            },
        },
        model_version=the_model.version,
        weights_version=the_model.table_version,
        rule_version=maturity.RULE_VERSION,
        input_hash=scored.input_hash,
        created_at=scored_at,
    )
    session.add(result)
    session.flush()
    evidence_snapshot.store(
        session=session,
        result=result,
        order=order,
        snapshot=snapshot,
        versions=evidence_snapshot.data_versions(
            session=session, enterprise_id=order.enterprise_id, window=snapshot.window
        ),
    )
    audit_log.record(
        session=session,
        actor=actor,
        action="order.score",
        entity="order",
        entity_id=order.id,
        detail={"result_id": result.id, "level": scored.level, "score": result.score},
    )
    return result


def latest_result(*, session: Session, order: DiagnosisOrder) -> Result | None:
    """The newest CMMM scoring result of the order; None for an order that does not rate CMMM (a result scored
    before the order was switched to the SME level alone is not shown, reported or served by the API)."""
    if not order.rates_cmmm:
        return None
    statement = select(Result).where(Result.order_id == order.id).order_by(col(Result.id).desc())
    return session.exec(statement).first()
