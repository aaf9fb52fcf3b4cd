"""The bureau's provider pool per year: standing admissions, plus a year's additions, suspensions, removals.

A provider is in a bureau's pool for a year when it is admitted for good (BureauProvider) or added for that
year, and not suspended or removed for that year. Every change carries a reason and goes to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from diagnose.models import BureauProvider, PoolEntry, Provider, Role, User
from diagnose.models.base import utcnow
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log

CHANGES = ("add", "suspend", "remove")
STATUS_BY_CHANGE = {"add": "active", "suspend": "suspended", "remove": "removed"}


@dataclass(frozen=True)
class PoolRow:
    """One provider as the pool page lists it for a year."""

    provider: Provider
    status: str  # active | suspended | removed
    standing: bool  # admitted for every year
    reason: str


def pool_rows(*, session: Session, bureau_id: int, year: int) -> list[PoolRow]:
    """Every provider the bureau has a standing admission or a decision for in this year, by name."""
    standing = set(
        session.exec(select(BureauProvider.provider_id).where(BureauProvider.bureau_id == bureau_id)).all()
    )
    entries = {
        e.provider_id: e
        for e in session.exec(
            select(PoolEntry).where(PoolEntry.bureau_id == bureau_id, PoolEntry.year == year)
        ).all()
    }
    ids = standing | set(entries)
    providers = session.exec(select(Provider).where(col(Provider.id).in_(ids)).order_by(Provider.name)).all()
    return [
        PoolRow(
            provider=p,
            status=entries[p.id].status if p.id in entries else "active",
            standing=p.id in standing,
            reason=entries[p.id].reason if p.id in entries else "",
        )
        for p in providers
    ]


def pool_for_year(*, session: Session, bureau_id: int, year: int) -> list[Provider]:
    """The providers a bureau may assign orders of this year to."""
    return [
        r.provider for r in pool_rows(session=session, bureau_id=bureau_id, year=year) if r.status == "active"
    ]


def in_pool(*, session: Session, bureau_id: int, provider_id: int, year: int) -> bool:
    """Whether the provider may be assigned this bureau's orders of this year."""
    return any(p.id == provider_id for p in pool_for_year(session=session, bureau_id=bureau_id, year=year))


def change_pool(
    *, session: Session, actor: User, provider_id: int, year: int, change: str, reason: str
) -> PoolEntry:
    """Add a provider to the bureau's pool for a year, or suspend or remove it, with the reason (not committed)."""
    if actor.role != Role.bureau or actor.bureau_id is None:
        raise ValidationError("actor", "bureau_only")
    if change not in CHANGES:
        raise ValidationError("change", "not_a_choice")
    if not 2000 <= year <= 2100:
        raise ValidationError("year", "not_a_choice")
    if session.get(Provider, provider_id) is None:
        raise ValidationError("provider_id", "choose_provider")
    if not reason.strip():
        raise ValidationError("reason", "reason_required")
    entry = session.exec(
        select(PoolEntry).where(
            PoolEntry.bureau_id == actor.bureau_id,
            PoolEntry.provider_id == provider_id,
            PoolEntry.year == year,
        )
    ).first() or PoolEntry(bureau_id=actor.bureau_id, provider_id=provider_id, year=year)
    entry.status, entry.reason, entry.updated_at = STATUS_BY_CHANGE[change], reason.strip()[:500], utcnow()
    session.add(entry)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action=f"pool.{change}",
        entity="provider",
        entity_id=provider_id,
        detail={"bureau_id": actor.bureau_id, "year": year, "reason": entry.reason},
    )
    return entry
