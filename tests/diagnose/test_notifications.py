"""Notifications: the people named on an order are told of assign, return, accept, issue and the enterprise's
word on the report, in the app and by e-mail through a real SMTP server (aiosmtpd) when one is configured."""

from __future__ import annotations

import socket
from datetime import date
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from diagnose import workflow
from diagnose.models import Notification, Role, User
from diagnose.services.accounts import notifications, orgs
from diagnose.services.diagnosis import assessments, orders
from tests import factories


@pytest.fixture
def order_world(engine):  # type: ignore[no-untyped-def]
    session = Session(engine, expire_on_commit=False)
    factories.regions(session)
    ent = factories.enterprise(session)
    bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
    provider = orgs.create_provider(
        session=session, actor="t", uscc=factories.uscc("320412", 90), name="P1", region_code="320412"
    )
    other = orgs.create_provider(
        session=session, actor="t", uscc=factories.uscc("320412", 91), name="P2", region_code="320412"
    )
    orgs.admit_provider(session=session, actor="t", bureau_id=bureau.id, provider_id=provider.id)  # type: ignore[arg-type]
    users = {
        "bureau": factories.user(session, "b", Role.bureau, bureau.id, full_name="王主任"),
        "lead": factories.user(session, "lead", Role.provider, provider.id, full_name="李工"),
        "colleague": factories.user(session, "colleague", Role.provider, provider.id, full_name="赵工"),
        "outsider": factories.user(session, "outsider", Role.provider, other.id, full_name="钱工"),
        "enterprise": factories.user(session, "e", Role.enterprise, ent.id, full_name="孙厂长"),
    }
    users["lead"].email = "lead@example.cn"
    users["enterprise"].email = "boss@example.cn"
    batch = orders.create_batch(
        session=session, actor=users["bureau"], name="批次", year=2026, budget_fen=25_000_000
    )
    order = orders.create_order(
        session=session,
        actor=users["bureau"],
        batch_id=batch.id,
        enterprise_id=ent.id,
        kind="factory",
        fee_fen=1_000_000,  # type: ignore[arg-type]
    )
    yield session, users, order, provider
    session.close()


def _told(session: Session, order_id: int, event: str) -> set[str]:
    rows = session.exec(
        select(Notification).where(Notification.order_id == order_id, Notification.event == event)
    ).all()
    names = {u.id: u.username for u in session.exec(select(User)).all()}
    return {names[r.user_id] for r in rows}


def _walk_to_accepted(session, users, order, provider) -> None:  # type: ignore[no-untyped-def]
    workflow.apply(
        session=session, order=order, action="assign", actor=users["bureau"],
        inputs=workflow.Inputs(provider_id=provider.id),
    )  # fmt: skip
    factories.name_lead(session, order, users["lead"])
    workflow.apply(
        session=session, order=order, action="schedule", actor=users["lead"],
        inputs=workflow.Inputs(visit_date=date(2026, 11, 20)),
    )  # fmt: skip
    workflow.apply(session=session, order=order, action="start_visit", actor=users["lead"])
    assessments.run_scoring(session=session, actor=users["lead"], order=order)
    workflow.apply(session=session, order=order, action="submit", actor=users["lead"])
    workflow.apply(
        session=session, order=order, action="return", actor=users["bureau"],
        inputs=workflow.Inputs(reason="缺少点检记录"),
    )  # fmt: skip
    workflow.apply(session=session, order=order, action="submit", actor=users["lead"])
    workflow.apply(session=session, order=order, action="confirm", actor=users["enterprise"])
    workflow.apply(session=session, order=order, action="accept", actor=users["bureau"])


def test_the_people_named_on_the_order_are_told(order_world) -> None:  # type: ignore[no-untyped-def]
    session, users, order, provider = order_world
    _walk_to_accepted(session, users, order, provider)
    # Assigned: the provider's people (no team named yet), never another provider's, never the bureau.
    assert _told(session, order.id, "assign") == {"lead", "colleague"}
    # Returned: the team named on the order (the lead only), with the reason.
    assert _told(session, order.id, "return") == {"lead"}
    (returned,) = session.exec(select(Notification).where(Notification.event == "return")).all()
    assert returned.detail == "缺少点检记录"
    # Accepted: the team and the enterprise's people; the bureau who acted is not told of its own act.
    assert _told(session, order.id, "accept") == {"lead", "e"}
    # Submitting, scheduling and confirming tell nobody.
    assert _told(session, order.id, "submit") == set() and _told(session, order.id, "confirm") == set()
    notifications.notify(session=session, order=order, event="issue", actor="system:reports")
    assert _told(session, order.id, "issue") == {"lead", "e"}


def test_unread_count_list_and_mark_read_are_per_user(order_world) -> None:  # type: ignore[no-untyped-def]
    session, users, order, provider = order_world
    _walk_to_accepted(session, users, order, provider)
    assert notifications.unread_count(session=session, user=users["lead"]) == 3  # assign, return, accept
    assert notifications.unread_count(session=session, user=users["outsider"]) == 0
    items = notifications.list_for(session=session, user=users["lead"])
    assert [i.notification.event for i in items] == ["accept", "return", "assign"]
    assert all(i.order_number == order.number for i in items)
    assert notifications.mark_read(session=session, user=users["lead"]) == 3
    assert notifications.unread_count(session=session, user=users["lead"]) == 0
    assert notifications.unread_count(session=session, user=users["enterprise"]) == 1


class Inbox:
    """An aiosmtpd handler keeping what it receives, refusing one address as a real server would."""

    def __init__(self, refuse: str = "") -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address == self.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    inbox = Inbox(refuse="boss@example.cn")
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, notifications.SmtpConfig(host="127.0.0.1", port=controller.port, sender="zhizhen@example.cn")
    controller.stop()


def test_notifications_are_emailed_through_a_real_smtp_server(order_world, smtp) -> None:  # type: ignore[no-untyped-def]
    session, users, order, provider = order_world
    inbox, config = smtp
    _walk_to_accepted(session, users, order, provider)
    sent = notifications.send_pending(session=session, config=config, public_url="https://zz.example.cn")
    # The lead's three arrive; the enterprise's address is refused by the server: recorded, nothing else stops.
    assert sent == 3 and len(inbox.messages) == 3
    assert {tuple(rcpt) for rcpt, _ in inbox.messages} == {("lead@example.cn",)}
    mail = message_from_bytes(inbox.messages[0][1])
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == f"【智诊】诊断订单 {order.number} 已派给贵单位"
    body = mail.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert "李工" in body and f"https://zz.example.cn/orders/{order.id}" in body
    refused = session.exec(select(Notification).where(Notification.user_id == users["enterprise"].id)).one()
    assert refused.emailed_at is None and "550" in (refused.email_error or "")
    # Sent once: a second run sends nothing; people without an address are in-app only.
    assert notifications.send_pending(session=session, config=config) == 0
    colleague = session.exec(select(Notification).where(Notification.user_id == users["colleague"].id)).one()
    assert colleague.emailed_at is None and colleague.email_error is None


def test_an_unreachable_server_leaves_everything_pending(order_world) -> None:  # type: ignore[no-untyped-def]
    session, users, order, provider = order_world
    _walk_to_accepted(session, users, order, provider)
    config = notifications.SmtpConfig(host="127.0.0.1", port=_free_port(), timeout_s=2)
    assert notifications.send_pending(session=session, config=config) == 0
    assert len(notifications.pending(session=session)) == 4  # the lead's three and the enterprise's one
    assert notifications.send_pending(session=session, config=None) == 0  # no SMTP configured: in-app only
