"""自评与实测不一致: the consultant decides each contradiction of the newest scoring result before submitting.

A contradiction is a requirement whose self-rating lies more than one rating step from what the measured data
support (`scoring.maturity.reconcile`). For each the consultant either changes the rating (the answer is saved
and the diagnosis scored again, so the result and the report use the new rating) or keeps it with a written
reason. Decisions are rows of `contradictiondecision`, never updated: the newest per requirement counts, and a
`kept` decision answers only the pair (self-rating, proposal) it was made on. The workflow refuses `submit`
while any contradiction of the newest result is undecided (`unresolved`); the report prints every decision in
its 自评与实测核对 table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import ContradictionDecision, DiagnosisOrder, Result, Role, User
from diagnose.models.base import utcnow
from diagnose.schemas.errors import FieldError
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis import assessments
from diagnose.workflow import EDITABLE

DECISIONS = ("changed", "kept")
MIN_REASON_CHARS = 4  # a reason is a sentence, not "ok"
MAX_REASON_CHARS = 2000
RATINGS = ("1", "0.8", "0.5", "0")

INDICATOR_ZH = {
    "networking_rate": "设备联网率",
    "coverage": "数据采集覆盖率",
    "availability": "时间开动率",
    "performance": "性能开动率",
    "quality": "合格品率",
    "oee": "设备综合效率（OEE）",
    "utilisation": "设备利用率",
    "energy_per_unit_kwh": "单位产品能耗",
    "has_energy_metering": "能耗计量",
}


def rating_code(value: float | str | None) -> str:
    """A rating as stored on answers: 1, 0.8, 0.5, 0."""
    if value is None or value == "":
        return ""
    return f"{float(value):g}"


def measured_text(proposals: list[Mapping[str, Any]]) -> str:
    """The measured figures behind a proposal, as the report says them: 数据采集覆盖率 42.0%."""
    parts = []
    for p in proposals:
        indicator = str(p.get("indicator", ""))
        value = p.get("measured")
        name = INDICATOR_ZH.get(indicator, "实测指标")
        if isinstance(value, bool):
            parts.append(f"{name}：{'有' if value else '无'}")
        elif isinstance(value, int | float):
            parts.append(
                f"{name} {value:.2f} kWh"
                if indicator == "energy_per_unit_kwh"
                else f"{name} {value * 100:.1f}%"
            )
        else:
            parts.append(name)
    return "；".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class Item:
    """One contradiction of the newest result with the decision that answers it (None: undecided)."""

    requirement_id: str
    statement_zh: str
    statement_en: str
    claimed: str
    proposed: str
    measured: str
    decision: ContradictionDecision | None


def _newest(session: Session, order: DiagnosisOrder) -> dict[str, ContradictionDecision]:
    rows = session.exec(
        select(ContradictionDecision)
        .where(ContradictionDecision.order_id == order.id)
        .order_by(col(ContradictionDecision.id))
    ).all()
    return {row.requirement_id: row for row in rows}


def newest_id(*, session: Session, order: DiagnosisOrder) -> int:
    """The id of the order's newest decision (0 for none): what a cached draft depends on."""
    found = session.exec(
        select(ContradictionDecision.id)
        .where(ContradictionDecision.order_id == order.id)
        .order_by(col(ContradictionDecision.id).desc())
        .limit(1)
    ).first()
    return found or 0


def _answers(row: ContradictionDecision | None, claimed: str, proposed: str) -> bool:
    return row is not None and row.decision == "kept" and row.claimed == claimed and row.proposed == proposed


def items(*, session: Session, order: DiagnosisOrder, result: Result | None = None) -> list[Item]:
    """The contradictions of the order's newest result (or `result`), each with its decision if any."""
    result = result or assessments.latest_result(session=session, order=order)
    if result is None:
        return []
    newest = _newest(session, order)
    found = []
    for r in result.detail.get("reconciled") or []:
        if not r.get("contradiction") or r.get("claimed") is None:
            continue
        requirement = assessments.model().requirement(r["requirement_id"])
        claimed, proposed = rating_code(r["claimed"]), rating_code(r["proposed"])
        row = newest.get(r["requirement_id"])
        found.append(
            Item(
                requirement_id=r["requirement_id"],
                statement_zh=requirement.statement_zh if requirement else "",
                statement_en=requirement.statement_en if requirement else "",
                claimed=claimed,
                proposed=proposed,
                measured=measured_text(r.get("proposals", [])),
                decision=row if _answers(row, claimed, proposed) else None,
            )
        )
    return sorted(found, key=lambda item: item.requirement_id)


def unresolved(*, session: Session, order: DiagnosisOrder) -> list[str]:
    """Requirement ids whose contradiction still waits for the consultant's decision."""
    return [item.requirement_id for item in items(session=session, order=order) if item.decision is None]


@dataclass(frozen=True)
class Check:
    """A row of the report's 自评与实测核对 table."""

    requirement_id: str
    statement_zh: str
    statement_en: str
    claimed: str
    proposed: str
    measured: str
    decision: str  # changed | kept | "" (undecided: only in a draft)
    new_rating: str
    reason: str


def checks(*, session: Session, order: DiagnosisOrder, result: Result) -> list[Check]:
    """Every contradiction the consultant decided for this order (changed ones included, though the data
    now agree), and any still undecided in `result`: the report's 自评与实测核对 rows."""
    rows: dict[str, Check] = {}
    for row in _newest(session, order).values():
        if row.decision == "changed" and row.result_id <= (result.id or 0):
            requirement = assessments.model().requirement(row.requirement_id)
            rows[row.requirement_id] = Check(
                requirement_id=row.requirement_id,
                statement_zh=requirement.statement_zh if requirement else "",
                statement_en=requirement.statement_en if requirement else "",
                claimed=row.claimed,
                proposed=row.proposed,
                measured=row.measured,
                decision="changed",
                new_rating=row.new_rating or "",
                reason=row.reason,
            )
    for item in items(session=session, order=order, result=result):
        rows[item.requirement_id] = Check(
            item.requirement_id, item.statement_zh, item.statement_en, item.claimed, item.proposed,
            item.measured, "kept" if item.decision else "", "", item.decision.reason if item.decision else "",
        )  # fmt: skip
    return sorted(rows.values(), key=lambda row: row.requirement_id)


def decide(
    *,
    session: Session,
    actor: User,
    order: DiagnosisOrder,
    requirement_id: str,
    decision: str,
    reason: str = "",
    new_rating: str | None = None,
    silence_timeout_s: float = 600,
    now: datetime | None = None,
) -> ContradictionDecision:
    """Record the consultant's decision on one contradiction of the newest result (the caller commits).

    `changed`: the answer's rating becomes `new_rating` and the diagnosis is scored again. `kept`: the
    self-rating stands, for `reason` (required). Only a user of the order's provider, while it is editable."""
    if actor.role != Role.provider or actor.provider_id is None or actor.provider_id != order.provider_id:
        raise FieldError(
            "", "not_on_order", code="forbidden", actor=actor.username, action="decide", number=order.number
        )
    if order.status not in EDITABLE:
        raise FieldError("status", "order_status", action="decide", status=order.status)
    if decision not in DECISIONS:
        raise FieldError("decision", "change_or_keep")
    result = assessments.latest_result(session=session, order=order)
    item = next(
        (i for i in items(session=session, order=order, result=result) if i.requirement_id == requirement_id),
        None,
    )
    if result is None or item is None:
        raise FieldError("requirement_id", "no_contradiction")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise FieldError("reason", "max_chars", max_length=MAX_REASON_CHARS)
    if decision == "kept" and len(reason) < MIN_REASON_CHARS:
        raise FieldError("reason", "keep_reason")
    if decision == "changed":
        if new_rating not in RATINGS:
            raise FieldError("new_rating", "new_rating_required")
        if new_rating == item.claimed:
            raise FieldError("new_rating", "new_rating_is_self")
    row = ContradictionDecision(
        order_id=order.id,  # type: ignore[arg-type]
        result_id=result.id,  # type: ignore[arg-type]
        requirement_id=requirement_id,
        decision=decision,
        claimed=item.claimed,
        proposed=item.proposed,
        new_rating=new_rating if decision == "changed" else None,
        measured=item.measured[:512],
        reason=reason,
        decided_by=actor.id,
        decided_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="contradiction.decide", entity="order", entity_id=order.id,
        detail={
            "requirement": requirement_id, "decision": decision, "claimed": item.claimed,
            "proposed": item.proposed, **({"new_rating": new_rating} if decision == "changed" else {}),
            **({"reason": reason} if reason else {}),
        },
    )  # fmt: skip
    if decision == "changed":
        assessments.save_answer(
            session=session, actor=actor, order=order, requirement_id=requirement_id, rating=new_rating
        )
        assessments.run_scoring(
            session=session, actor=actor, order=order, silence_timeout_s=silence_timeout_s, now=now
        )
    return row
