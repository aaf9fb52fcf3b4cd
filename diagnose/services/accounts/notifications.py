"""Notifications: the people named on an order are told when it is assigned, returned, accepted, its report
issued, and when the enterprise accepts or disputes the report. In the app always; by e-mail when SMTP is
configured (`DIAGNOSE_SMTP_*`) and the person has recorded an address, sent by the jobs process.

Who is told (never the person who acted):
- assign: the provider's people (the order names the provider; its team is named after).
- return: the provider's team on the order (its 项目负责人 and 诊断人员; the provider's people if none named).
- accept, issue: the provider's team and the enterprise's people.
- accept_report, dispute_report: the bureau's people and the provider's team.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func
from sqlmodel import Session, col, select

from diagnose.models import DiagnosisOrder, Notification, User
from diagnose.models.base import utcnow
from diagnose.services.diagnosis import order_staff

log = logging.getLogger(__name__)

EVENTS = ("assign", "return", "accept", "issue", "accept_report", "dispute_report")
# The e-mail's words (Chinese first: the people told are Chinese users); the page uses the catalogue.
SUBJECT_ZH = {
    "assign": "诊断订单 {number} 已派给贵单位",
    "return": "诊断订单 {number} 已被退回修改",
    "accept": "诊断订单 {number} 已验收",
    "issue": "诊断订单 {number} 的诊断报告已出具",
    "accept_report": "企业已确认诊断订单 {number} 的报告",
    "dispute_report": "企业对诊断订单 {number} 的报告提出异议",
}
MAX_ERROR = 500


def _org_users(session: Session, **where: int | None) -> list[User]:
    ((attr, value),) = where.items()
    if value is None:
        return []
    return list(
        session.exec(select(User).where(getattr(User, attr) == value, col(User.active).is_(True))).all()
    )


def _provider_team(session: Session, order: DiagnosisOrder) -> list[User]:
    staff = order_staff.staff_of(session=session, order=order)
    named = [u for u in (staff.lead, *staff.members) if u is not None and u.active]
    return named or _org_users(session, provider_id=order.provider_id)


def recipients(*, session: Session, order: DiagnosisOrder, event: str) -> list[User]:
    """The people told of this event on this order (each once)."""
    if event == "assign":
        people = _org_users(session, provider_id=order.provider_id)
    elif event == "return":
        people = _provider_team(session, order)
    elif event in ("accept", "issue"):
        people = _provider_team(session, order) + _org_users(session, enterprise_id=order.enterprise_id)
    elif event in ("accept_report", "dispute_report"):
        people = _org_users(session, bureau_id=order.bureau_id) + _provider_team(session, order)
    else:
        return []
    seen: dict[int, User] = {}
    for user in people:
        if user.id is not None:
            seen.setdefault(user.id, user)
    return list(seen.values())


def notify(
    *, session: Session, order: DiagnosisOrder, event: str, actor: User | str, detail: str = ""
) -> list[Notification]:
    """Add one notification per recipient (not the actor); not committed (the caller's transaction)."""
    if event not in EVENTS:
        return []
    actor_id = actor.id if isinstance(actor, User) else None
    rows = [
        Notification(user_id=u.id or 0, order_id=order.id, event=event, detail=detail.strip()[:2000])
        for u in recipients(session=session, order=order, event=event)
        if u.id != actor_id
    ]
    for row in rows:
        session.add(row)
    return rows


@dataclass(frozen=True)
class Item:
    """One notification as the list shows it, with its order's number."""

    notification: Notification
    order_number: str


def list_for(*, session: Session, user: User, limit: int = 100) -> list[Item]:
    """The user's notifications, newest first (only their own)."""
    rows = session.exec(
        select(Notification, DiagnosisOrder.number)
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == Notification.order_id, isouter=True)
        .where(Notification.user_id == user.id)
        .order_by(col(Notification.id).desc())
        .limit(limit)
    ).all()
    return [Item(n, number or "") for n, number in rows]


def unread_count(*, session: Session, user: User) -> int:
    """How many of the user's notifications are unread."""
    return int(
        session.exec(
            select(func.count(col(Notification.id))).where(
                Notification.user_id == user.id, col(Notification.read_at).is_(None)
            )
        ).one()
    )


def mark_read(*, session: Session, user: User, now: datetime | None = None) -> int:
    """Mark all the user's unread notifications read; returns how many (not committed)."""
    rows = session.exec(
        select(Notification).where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    ).all()
    for row in rows:
        row.read_at = now or utcnow()
        session.add(row)
    return len(rows)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send (from the settings)."""

    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    user: str = ""
    password: str = ""
    sender: str = "noreply@diagnose.local"
    timeout_s: float = 10.0

    @classmethod
    def of(cls, settings: object) -> SmtpConfig | None:
        """The settings' SMTP server, or None when none is configured."""
        host = getattr(settings, "smtp_host", "")
        if not host:
            return None
        return cls(
            host=host,
            port=int(getattr(settings, "smtp_port", 25)),
            security=str(getattr(settings, "smtp_security", "none")),
            user=str(getattr(settings, "smtp_user", "")),
            password=str(getattr(settings, "smtp_password", "")),
            sender=str(getattr(settings, "smtp_from", "noreply@diagnose.local")),
            timeout_s=float(getattr(settings, "smtp_timeout_s", 10.0)),
        )


def message(
    notification: Notification, user: User, number: str, sender: str, public_url: str = ""
) -> EmailMessage:
    """The e-mail for one notification, in Chinese, with a link to the order when the public URL is known."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = user.email
    mail["Subject"] = "【智诊】" + SUBJECT_ZH[notification.event].format(number=number)
    lines = [
        f"{user.full_name or user.username}：",
        "",
        SUBJECT_ZH[notification.event].format(number=number) + "。",
    ]
    if notification.detail:
        lines.append(f"说明：{notification.detail}")
    if public_url and notification.order_id:
        lines += ["", f"查看订单：{public_url.rstrip('/')}/orders/{notification.order_id}"]
    lines += ["", "（本邮件由智诊平台自动发送，请勿直接回复。）"]
    mail.set_content("\n".join(lines))
    return mail


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_s, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
    if config.user:
        client.login(config.user, config.password)
    return client


def pending(*, session: Session, limit: int = 200) -> list[tuple[Notification, User, str]]:
    """Notifications not yet e-mailed whose person has an address (oldest first)."""
    rows = session.exec(
        select(Notification, User, DiagnosisOrder.number)
        .join(User, col(User.id) == Notification.user_id)
        .join(DiagnosisOrder, col(DiagnosisOrder.id) == Notification.order_id, isouter=True)
        .where(
            col(Notification.emailed_at).is_(None),
            col(Notification.email_error).is_(None),
            User.email != "",
            col(User.active).is_(True),
        )
        .order_by(col(Notification.id))
        .limit(limit)
    ).all()
    return [(n, u, number or "") for n, u, number in rows]


def send_pending(
    *, session: Session, config: SmtpConfig | None, public_url: str = "", now: datetime | None = None
) -> int:
    """E-mail what is pending over one SMTP connection; returns how many were sent (not committed).

    A server that cannot be reached leaves everything pending for the next run; an address the server
    refuses is recorded on that notification alone and never stops the others."""
    if config is None:
        return 0
    todo = pending(session=session)
    if not todo:
        return 0
    try:
        client = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification e-mail: SMTP server %s:%s not usable: %s", config.host, config.port, exc)
        return 0
    sent = 0
    try:
        for notification, user, number in todo:
            try:
                client.send_message(message(notification, user, number, config.sender, public_url))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                notification.email_error = str(exc)[:MAX_ERROR]
            else:
                notification.emailed_at = now or utcnow()
                sent += 1
            session.add(notification)
    except (OSError, smtplib.SMTPException) as exc:  # the connection broke: the rest stay pending
        log.warning("notification e-mail: SMTP connection lost: %s", exc)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()
    return sent
