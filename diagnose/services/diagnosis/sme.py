"""The SME digital-level rating of an order (《中小企业数字化水平评测指标（2024年版）》) beside CMMM: the order's
choice of instruments, answers saved one item or scenario at a time with the measured proposal accepted or
overridden for a reason, the rating through the pure scoring (`scoring.sme`), the comparison with the
enterprise's earlier rating, and a region's levels. Docs: docs/scoring.md, "SME digital level"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_
from sqlmodel import Session, col, select

from diagnose.models import DiagnosisOrder, Enterprise, Result, Role, SmeAnswer, SmePilot, SmeResult, User
from diagnose.models.base import utcnow
from diagnose.schemas.errors import FieldError
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis import assessments, evidence_snapshot, orders, sme_index
from diagnose.services.diagnosis.orders import Page
from diagnose.workflow import EDITABLE
from scoring import sme
from scoring.indicators.snapshot import EvidenceSnapshot
from scoring.sme.compare import Comparison, LevelDistribution, compare, level_distribution
from scoring.sme.proposals import Proposal, measured_from_snapshot, propose_all

INSTRUMENTS = ("cmmm", "sme", "both")
MIN_REASON_CHARS = 4
MAX_REASON_CHARS = 2000
REPORTED = ("submitted", "accepted")  # orders whose rating counts in a region's levels
R = TypeVar("R", Result, SmeResult)


def _check_provider(actor: User, order: DiagnosisOrder) -> None:
    if actor.role != Role.provider or actor.provider_id is None or actor.provider_id != order.provider_id:
        raise FieldError(
            "", "not_on_order", code="forbidden", actor=actor.username, action="change", number=order.number
        )


def set_instruments(*, session: Session, actor: User, order: DiagnosisOrder, instruments: str) -> None:
    """The provider chooses what the visit rates (the caller commits); fixed once the order is submitted."""
    _check_provider(actor, order)
    if order.status not in EDITABLE and order.status not in ("assigned",):
        raise FieldError("instruments", "instruments_status", status=order.status)
    if instruments not in INSTRUMENTS:
        raise FieldError("instruments", "choose_listed", expected=["cmmm", "sme", "both"])
    if instruments == order.instruments:
        return
    before, order.instruments, order.updated_at = order.instruments, instruments, utcnow()
    session.add(order)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="order.instruments", entity="order", entity_id=order.id,
        detail={"from": before, "to": instruments},
    )  # fmt: skip


def proposals(
    *,
    session: Session,
    order: DiagnosisOrder,
    silence_timeout_s: float = 600,
    now: datetime | None = None,
    snapshot: EvidenceSnapshot | None = None,
) -> dict[str, Proposal]:
    """What the plant's measured week proposes, by item or scenario id (value None: nothing to propose): from
    `snapshot` when given, else from the figures the CMMM questionnaire shows the order (the week before
    `now` while it is open, the snapshot its result stored once submitted): one set of figures per visit. The
    成效 items are proposed against the week of the enterprise's earlier diagnosis (`before_snapshot`)."""
    if snapshot is None:
        snapshot = assessments.page_snapshot(
            session=session, order=order, now=now, silence_timeout_s=silence_timeout_s
        )
    before = before_snapshot(session=session, order=order, silence_timeout_s=silence_timeout_s)
    # A partial proposal that sees no stage at all proposes nothing (数据不足), not "无".
    found = propose_all(
        measured_from_snapshot(snapshot),
        measured_from_snapshot(before) if before is not None else None,
        index=sme_index.in_force(session),
    )
    return {p.target: replace(p, value=None) if p.value == () else p for p in found}


def before_snapshot(
    *, session: Session, order: DiagnosisOrder, silence_timeout_s: float = 600
) -> EvidenceSnapshot | None:
    """The "before" week of the 成效 items (R1 energy per unit, R2 pass rate): the week stored with the newest
    CMMM scoring of another of the enterprise's orders, submitted or accepted, scored before this order was
    created (an earlier diagnosis, before the transformation). None without one: nothing is proposed then."""
    result = _newest_of_an_earlier_order(session, Result, order, before=order.created_at, statuses=REPORTED)
    if result is None:
        return None
    return evidence_snapshot.of_result(session=session, result=result, silence_timeout_s=silence_timeout_s)


def answers_of(*, session: Session, order: DiagnosisOrder) -> dict[str, SmeAnswer]:
    """The order's saved SME answers by item or scenario id."""
    rows = session.exec(select(SmeAnswer).where(SmeAnswer.order_id == order.id)).all()
    return {row.key: row for row in rows}


def _plain(value: object) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _section(key: str, index: sme.SmeIndex | None = None) -> str:
    index = index or sme.load_index()
    if index.item(key) is not None:
        return "items"
    if index.scenario(key) is not None:
        return "scenarios"
    raise FieldError("key", "unknown_item", key=key)


def _decision(value: Any, proposal: Proposal | None) -> str:
    if proposal is None or proposal.value is None or proposal.value == ():
        return "manual"  # nothing measured (an empty partial proposal sees no stage: nothing to accept)
    proposed = _plain(proposal.value)
    if isinstance(proposed, list):  # a partial multi proposal: the consultant may add what it cannot see
        return "accepted" if set(proposed) <= set(value or []) else "overridden"
    return "accepted" if proposed == value else "overridden"


def save_answer(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    key: str,
    value: str | list[str] | int,
    reason: str = "",
    proposal: Proposal | None = None,
) -> SmeAnswer:
    """Store one item's option(s) or one scenario's grade (the caller commits). Checked against the index by
    the pure scoring; overriding a measured proposal needs a written reason. Nothing is stored on error."""
    _check_provider(actor, order)
    if order.status not in EDITABLE:
        raise FieldError("status", "questionnaire_status", status=order.status)
    if not order.rates_sme:
        raise FieldError("instruments", "not_sme")
    index = sme_index.in_force(session)
    section = _section(key, index)
    try:
        sme.score_answers({section: {key: value}}, index=index, allow_missing=True)
    except sme.AnswerError as exc:
        raise FieldError.of("value", exc) from exc
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise FieldError("reason", "max_chars", max_length=MAX_REASON_CHARS)
    decision = _decision(value, proposal)
    if decision == "overridden" and len(reason) < MIN_REASON_CHARS:
        raise FieldError("reason", "override_reason")
    row = session.exec(
        select(SmeAnswer).where(SmeAnswer.order_id == order.id, SmeAnswer.key == key)
    ).first() or SmeAnswer(
        order_id=order.id,  # type: ignore[arg-type]
        key=key,
        value=value,
        decision=decision,
    )
    row.value, row.decision, row.reason = value, decision, reason
    row.proposed = _plain(proposal.value) if proposal is not None and decision != "manual" else None
    row.evidence = proposal.evidence_zh if proposal is not None else ""
    row.updated_by, row.updated_at = actor.id, utcnow()
    session.add(row)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="sme.answer", entity="order", entity_id=order.id,
        detail={"key": key, "value": value, "decision": decision, **({"reason": reason} if reason else {})},
    )  # fmt: skip
    return row


def as_answers(rows: Iterable[SmeAnswer], index: sme.SmeIndex | None = None) -> dict[str, dict[str, Any]]:
    """The pure scoring's input from saved rows (against `index`, default the packaged one)."""
    out: dict[str, dict[str, Any]] = {"items": {}, "scenarios": {}}
    for row in rows:
        out[_section(row.key, index)][row.key] = row.value
    return out


def score(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    now: datetime | None = None,
    silence_timeout_s: float = 600,
) -> SmeResult:
    """Rate the order on the SME index from its saved answers and store the result (the caller commits).
    Every item and scenario must be answered: the first missing one is named. An order rating the SME level
    alone keeps the measured week with it (`snapshot_id`)."""
    _check_provider(actor, order)
    if order.status not in EDITABLE:
        raise FieldError("status", "order_status", action="rate", status=order.status)
    rows = answers_of(session=session, order=order)
    index = sme_index.in_force(session)
    try:
        answers = as_answers(rows.values(), index)
        result = sme.score_answers(answers, index=index, allow_missing=True)
    except sme.AnswerError as exc:  # a stored answer the index no longer takes (a corrected index)
        raise FieldError.of(exc.key, exc) from exc
    if result.missing:
        names = "、".join(name_zh(k, index) for k in result.missing)
        raise FieldError(result.missing[0], "unanswered", items=names)
    detail = result.to_dict() | {
        "answers": answers,
        "decisions": [
            {
                "key": row.key, "value": row.value, "proposed": row.proposed, "evidence_zh": row.evidence,
                "decision": row.decision, "reason": row.reason,
            }
            for row in sorted(rows.values(), key=lambda r: r.key)
        ],
    }  # fmt: skip
    kept = None
    if not order.rates_cmmm:
        # No CMMM result keeps the visit's measured week: the rating keeps the one its proposals read, so the
        # result page, the report and the API show the same figures after submission.
        kept = evidence_snapshot.keep(
            session=session,
            order=order,
            snapshot=assessments.live_snapshot(
                session=session, order=order, now=now, silence_timeout_s=silence_timeout_s
            ),
        )
    stored = SmeResult(
        order_id=order.id,  # type: ignore[arg-type]
        level=result.level,
        total=detail["total"],
        index_version=result.index_version,
        detail=detail,
        created_by=actor.id,
        created_at=now or utcnow(),
        snapshot_id=kept.id if kept is not None else None,
    )
    session.add(stored)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="sme.score", entity="order", entity_id=order.id,
        detail={"sme_result_id": stored.id, "level": result.level, "total": stored.total},
    )  # fmt: skip
    return stored


def latest(*, session: Session, order: DiagnosisOrder) -> SmeResult | None:
    """The order's newest SME rating."""
    statement = select(SmeResult).where(SmeResult.order_id == order.id).order_by(col(SmeResult.id).desc())
    return session.exec(statement).first()


def earlier(*, session: Session, order: DiagnosisOrder, than: SmeResult) -> SmeResult | None:
    """The enterprise's newest SME rating from another of its orders, made before `than`."""
    return _newest_of_an_earlier_order(session, SmeResult, order, before=than.created_at)


def _newest_of_an_earlier_order(
    session: Session,
    model: type[R],
    order: DiagnosisOrder,
    *,
    before: datetime,
    statuses: Iterable[str] | None = None,
) -> R | None:
    """The newest row of `model` (a CMMM or SME result) from another order of the same enterprise, made before
    `before`; only from orders in `statuses` when given."""
    where = [
        DiagnosisOrder.enterprise_id == order.enterprise_id,
        DiagnosisOrder.id != order.id,
        col(model.created_at) < before,
    ]
    if statuses is not None:
        where.append(col(DiagnosisOrder.status).in_(list(statuses)))
    statement = (
        select(model)
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == model.order_id)
        .where(*where)
        .order_by(col(model.created_at).desc(), col(model.id).desc())
    )
    return session.exec(statement).first()


def rescored(row: SmeResult, index: sme.SmeIndex | None = None) -> sme.SmeResult:
    """The pure result of a stored rating, scored again from the answers it kept on `index` (default: the
    packaged one; `comparison` passes the version the rating names)."""
    return sme.score_answers(row.detail["answers"], index=index)


def comparison(*, session: Session, order: DiagnosisOrder, row: SmeResult) -> Comparison | None:
    """Before (the enterprise's earlier rating) and after (this one), each scored again on the index version
    it names (else the one in force), or None without an earlier one, or when that index no longer takes the
    answers of either (the two do not compare)."""
    before = earlier(session=session, order=order, than=row)
    if before is None:
        return None
    try:
        return compare(
            rescored(before, sme_index.index_of_rating(session=session, version=before.index_version)),
            rescored(row, sme_index.index_of_rating(session=session, version=row.index_version)),
        )
    except sme.AnswerError:
        return None


def distribution(
    *, session: Session, region_codes: Iterable[str]
) -> tuple[LevelDistribution, LevelDistribution]:
    """The newest submitted or accepted SME level of each enterprise in these regions: all of them, and the
    SME digital-transformation pilot enterprises among them (one statement)."""
    statement = (
        select(DiagnosisOrder.enterprise_id, SmeResult.level, col(SmePilot.enterprise_id).is_not(None))
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == SmeResult.order_id)
        .join(Enterprise, col(Enterprise.id) == DiagnosisOrder.enterprise_id)
        .outerjoin(SmePilot, col(SmePilot.enterprise_id) == DiagnosisOrder.enterprise_id)
        .where(
            col(Enterprise.region_code).in_(list(region_codes)),
            col(DiagnosisOrder.status).in_(REPORTED),
        )
        .order_by(col(SmeResult.created_at), col(SmeResult.id))
    )
    newest: dict[int, tuple[int, bool]] = {}
    for enterprise_id, level, pilot in session.exec(statement).all():
        newest[enterprise_id] = (level, bool(pilot))
    return (
        level_distribution(level for level, _pilot in newest.values()),
        level_distribution(level for level, pilot in newest.values() if pilot),
    )


@dataclass(frozen=True)
class PilotRow:
    """An enterprise as the pilot list shows it: since when it is in the pilot (None: it is not)."""

    enterprise: Enterprise
    marked_at: datetime | None


def pilot_page(
    *,
    session: Session,
    region_codes: Iterable[str],
    query: str = "",
    pilots_only: bool = False,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """One page of the enterprises in these regions with their pilot mark, by name (items: PilotRow)."""
    where = [col(Enterprise.region_code).in_(list(region_codes))]
    if query.strip():
        term = query.strip()  # % and _ match themselves
        where.append(
            or_(*(col(c).contains(term, autoescape=True) for c in (Enterprise.name, Enterprise.uscc)))
        )
    if pilots_only:
        where.append(col(SmePilot.enterprise_id).is_not(None))
    statement = (
        select(Enterprise, SmePilot.marked_at)
        .outerjoin(SmePilot, col(SmePilot.enterprise_id) == Enterprise.id)
        .where(*where)
        .order_by(col(Enterprise.name), col(Enterprise.id))
    )
    return Page.of(
        session=session, statement=statement, page=page, per_page=per_page,
        rows=lambda found: (PilotRow(e, marked_at) for e, marked_at in found),
    )  # fmt: skip


def pilot_mark(*, session: Session, enterprise: Enterprise) -> SmePilot | None:
    """The enterprise's pilot mark, or None when it is not in the pilot."""
    return session.get(SmePilot, enterprise.id)


def set_pilot(
    *, session: Session, actor: User, enterprise: Enterprise, pilot: bool, reason: str
) -> SmePilot | None:
    """A bureau puts an enterprise of its regions into the SME digital-transformation pilot or takes it out,
    with the reason (the pilot list's document, a correction), audited; the caller commits. Marking what is
    already so changes nothing and writes no entry. Returns the mark as it now stands."""
    if (
        actor.role != Role.bureau
        or actor.bureau_id is None
        or enterprise.region_code not in orders.bureau_regions(session=session, user=actor)
    ):
        raise FieldError("", "pilot_list_forbidden", code="forbidden", actor=actor.username)
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", "reason_required")
    if len(reason) > MAX_REASON_CHARS:
        raise FieldError("reason", "max_chars", max_length=MAX_REASON_CHARS)
    mark = pilot_mark(session=session, enterprise=enterprise)
    if (mark is not None) == pilot:
        return mark
    if pilot:
        mark = SmePilot(enterprise_id=enterprise.id)  # type: ignore[arg-type]
        session.add(mark)
    else:
        session.delete(mark)
        mark = None
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="enterprise.sme_pilot", entity="enterprise",
        entity_id=enterprise.id, detail={"pilot": pilot, "reason": reason},
    )  # fmt: skip
    return mark


def decisions_by_key(row: SmeResult) -> Mapping[str, Mapping[str, Any]]:
    """The stored decisions of a rating by item or scenario id."""
    return {d["key"]: d for d in row.detail.get("decisions", [])}


def answer_text_zh(key: str, value: Any, index: sme.SmeIndex | None = None) -> str:
    """An answer in the index's words (default: the packaged version): the option texts of an item, the grade
    name of a scenario."""
    index = index or sme.load_index()
    item = index.item(key)
    if value is None:
        return "—"
    if item is not None:
        chosen = set(value) if isinstance(value, list) else {value}
        texts = [o.text_zh for o in item.options if o.id in chosen]  # in the index's order
        return "；".join(texts) if texts else "无"
    return index.grade_name(int(value))


def name_zh(key: str, index: sme.SmeIndex | None = None) -> str:
    """An item's or scenario's name as the report prints it (网络建设·企业网络建设连接情况; 生产执行·设备管理)."""
    index = index or sme.load_index()
    item, scenario = index.item(key), index.scenario(key)
    if item is not None:
        return f"{item.sub_item_zh}·{item.name_zh}"
    return f"{scenario.group_zh}·{scenario.name_zh}" if scenario is not None else key


def _ids_in_order(index: sme.SmeIndex) -> list[str]:
    """Every item's and scenario's id, in the index's order (items first)."""
    return [i.id for i in index.items] + [s.id for s in index.scenarios]


def answers_in_index_order(
    answers: Mapping[str, Mapping[str, Any]], index: sme.SmeIndex | None = None
) -> list[tuple[str, Any]]:
    """A rating's stored answers ({"items": …, "scenarios": …}) as (id, value) pairs in the order of `index`
    (default: the packaged one); ids it does not have come last, as stored."""
    flat = {**answers.get("items", {}), **answers.get("scenarios", {})}
    known = _ids_in_order(index or sme.load_index())
    return [(k, flat[k]) for k in known if k in flat] + [(k, v) for k, v in flat.items() if k not in known]


def decision_rows(row: SmeResult, index: sme.SmeIndex | None = None) -> list[dict[str, str]]:
    """The answers the measured data proposed something for, in index order: answer, proposal, evidence,
    decision and reason, in the words of `index` (default: the packaged one)."""
    index = index or sme.load_index()
    order_of = {k: n for n, k in enumerate(_ids_in_order(index))}
    rows = [d for d in row.detail.get("decisions", []) if d.get("proposed") is not None]
    return [
        {
            "key": d["key"],
            "name_zh": name_zh(d["key"], index),
            "answer_zh": answer_text_zh(d["key"], d["value"], index),
            "proposed_zh": answer_text_zh(d["key"], d["proposed"], index),
            "evidence_zh": d.get("evidence_zh", ""),
            "decision": d["decision"],
            "reason": d.get("reason", ""),
        }
        for d in sorted(rows, key=lambda d: order_of.get(d["key"], 99))
    ]


def shown(*, session: Session, order: DiagnosisOrder) -> dict[str, Any] | None:
    """What the result page, the report and the API show of the order's SME rating (None: the order does not
    rate it and has no rating): the stored result, the decisions in words, the comparison, the notes."""
    from scoring.sme.recognition import recognition_text_zh

    row = latest(session=session, order=order)
    if row is None and not order.rates_sme:
        return None
    # A rating reads in the words of the index version it was made on; no rating yet: the one in force.
    index = (
        sme_index.index_of_rating(session=session, version=row.index_version)
        if row
        else sme_index.in_force(session)
    )
    return {
        "row": row,
        "index": index,
        "detail": row.detail if row else None,
        "decisions": decision_rows(row, index) if row else [],
        "comparison": comparison(session=session, order=order, row=row) if row else None,
        "recognition_zh": recognition_text_zh(index),
    }
