"""Tailoring (裁剪) of an order's assessment per sub-domain, recorded before scoring, with a fixed-list reason."""

from __future__ import annotations

from sqlmodel import Session, col, select

from diagnose.models import Assessment, DiagnosisOrder, Result, SubdomainTailoring, User
from diagnose.models.base import utcnow
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from diagnose.workflow import EDITABLE
from scoring import maturity
from scoring.maturity.tailoring import Tailoring, check_tailoring, load_tailoring_rules

MAX_NOTE_CHARS = 1000


def reasons() -> list[tuple[str, str, str]]:
    """The fixed list of reasons: (code, zh, en)."""
    return list(load_tailoring_rules().reasons)


def tailorable() -> tuple[str, ...]:
    """The sub-domains that may be tailored."""
    return load_tailoring_rules().tailorable


def of_assessment(*, session: Session, assessment: Assessment) -> list[SubdomainTailoring]:
    """The recorded tailoring of an assessment, by sub-domain."""
    statement = (
        select(SubdomainTailoring)
        .where(SubdomainTailoring.assessment_id == assessment.id)
        .order_by(col(SubdomainTailoring.subdomain))
    )
    return list(session.exec(statement))


def as_scoring(rows: list[SubdomainTailoring]) -> tuple[Tailoring, ...]:
    """The pure scoring form."""
    return tuple(Tailoring(r.subdomain, r.reason, r.note) for r in rows)


def set_tailoring(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    assessment: Assessment,
    subdomain: str,
    reason: str,
    note: str = "",
) -> SubdomainTailoring | None:
    """Tailor a sub-domain out (reason from the fixed list) or back in (reason ""), before scoring only."""
    if order.status not in EDITABLE:
        raise ValidationError("status", "questionnaire_status", status=order.status)
    scored = session.exec(select(Result).where(Result.order_id == order.id)).first()
    if scored is not None:
        raise ValidationError("tailoring", "already_scored")
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError("note", "max_chars", max_length=MAX_NOTE_CHARS)
    found = next(
        (r for r in of_assessment(session=session, assessment=assessment) if r.subdomain == subdomain), None
    )
    if not reason:
        if found is not None:
            session.delete(found)
            session.flush()
        _audit(session, actor, order, subdomain, "")
        return None
    refused = check_tailoring(subdomain, reason, maturity.load_model())
    if refused:
        raise ValidationError("tailoring", "detail", detail=refused)
    row = found or SubdomainTailoring(assessment_id=assessment.id, subdomain=subdomain, reason=reason)  # type: ignore[arg-type]
    row.reason, row.note, row.recorded_by, row.recorded_at = reason, note, actor.id, utcnow()
    session.add(row)
    session.flush()
    _audit(session, actor, order, subdomain, reason)
    return row


def _audit(session: Session, actor: User, order: DiagnosisOrder, subdomain: str, reason: str) -> None:
    audit_log.record(
        session=session,
        actor=actor,
        action="assessment.tailor",
        entity="order",
        entity_id=order.id,
        detail={"subdomain": subdomain, "reason": reason or None},
    )
