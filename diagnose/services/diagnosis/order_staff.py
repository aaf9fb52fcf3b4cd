"""The people an order names: its one 项目负责人 (lead) and its 诊断人员 (members), users of its provider.

The provider names them on the order page (or through the API) from when the order is assigned until it is
submitted; the workflow refuses to schedule the visit before a lead is named, so the enterprise knows who is
coming and the report who signs. Reassigning the order to another provider clears them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import Session, col, select

from diagnose.models import DiagnosisOrder, OrderStaffMember, OrderStatus, Role, StaffRole, User
from diagnose.schemas.errors import FieldError
from diagnose.services.accounts import orgs
from diagnose.services.audit import audit_log

S = OrderStatus
# While these are open the provider may change who works on the order; once submitted the team is the one
# that delivered it (a returned order may change it again before it is resubmitted).
STAFF_EDITABLE = frozenset({S.assigned, S.scheduled, S.on_site, S.returned})


@dataclass(frozen=True)
class OrderStaff:
    """An order's people: the lead (None until named) and the members, each a User, members by name."""

    lead: User | None = None
    members: list[User] = field(default_factory=list)

    @property
    def everyone(self) -> list[User]:
        """The lead first, then the members."""
        return ([self.lead] if self.lead else []) + self.members


def staff_of(*, session: Session, order: DiagnosisOrder) -> OrderStaff:
    """Who the order names (an order not yet staffed has no lead and no members)."""
    if order.id is None:
        return OrderStaff()
    rows = session.exec(
        select(OrderStaffMember, User)
        .join(User, col(User.id) == OrderStaffMember.user_id)
        .where(OrderStaffMember.order_id == order.id)
    ).all()
    lead = next((u for s, u in rows if s.role == StaffRole.lead), None)
    members = sorted((u for s, u in rows if s.role == StaffRole.member), key=orgs.display_name)
    return OrderStaff(lead=lead, members=members)


def candidates(*, session: Session, order: DiagnosisOrder) -> list[User]:
    """The active users of the order's provider, by name: whom the order may name."""
    if order.provider_id is None:
        return []
    users = session.exec(
        select(User).where(
            User.provider_id == order.provider_id, User.role == Role.provider, col(User.active).is_(True)
        )
    ).all()
    return sorted(users, key=lambda u: (orgs.display_name(u), u.username))


def set_staff(
    *, session: Session, actor: User, order: DiagnosisOrder, lead_id: int, member_ids: list[int]
) -> OrderStaff:
    """Name the order's lead and members (replacing those named before); audited as `order.staff`.

    Only a user of the order's provider may, while the order is open to it (STAFF_EDITABLE); everyone named
    must be an active user of that provider. The lead is not also listed as a member."""
    if actor.role != Role.provider or actor.provider_id is None or actor.provider_id != order.provider_id:
        raise FieldError(
            "", "not_on_order", code="forbidden", actor=actor.username, action="staff", number=order.number
        )
    if order.status not in STAFF_EDITABLE:
        raise FieldError("status", "team_status", status=order.status)
    allowed = {u.id: u for u in candidates(session=session, order=order)}
    if lead_id not in allowed:
        raise FieldError("lead_id", "lead_not_active")
    members = list(dict.fromkeys(i for i in member_ids if i != lead_id))
    if any(i not in allowed for i in members):
        raise FieldError("member_ids", "team_not_active")
    before = staff_of(session=session, order=order)
    session.execute(delete(OrderStaffMember).where(col(OrderStaffMember.order_id) == order.id))
    session.flush()
    assert order.id is not None
    session.add(OrderStaffMember(order_id=order.id, user_id=lead_id, role=StaffRole.lead))
    for user_id in members:
        session.add(OrderStaffMember(order_id=order.id, user_id=user_id, role=StaffRole.member))
    session.flush()
    after = staff_of(session=session, order=order)
    if [u.id for u in before.everyone] != [u.id for u in after.everyone]:
        audit_log.record(
            session=session,
            actor=actor,
            action="order.staff",
            entity="order",
            entity_id=order.id,
            # Names as they were when named: the record stays readable if a name is corrected later.
            detail={
                "lead": orgs.display_name(allowed[lead_id]),
                "members": "、".join(orgs.display_name(allowed[i]) for i in members),
            },
        )
    return after


def clear(*, session: Session, order: DiagnosisOrder) -> None:
    """Forget the people named (the order goes to another provider, whose users they are not)."""
    session.execute(delete(OrderStaffMember).where(col(OrderStaffMember.order_id) == order.id))
