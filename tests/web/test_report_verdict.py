"""The enterprise accepts or disputes the issued report from the order page; the bureau sees its word."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose import workflow
from diagnose.models import AuditLog, DiagnosisOrder, Enterprise, IssuedReport, Role
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import assessments, orders
from tests import factories
from tests.web.conftest import PASSWORD, csrf_from


def submitted_with_report(engine: Engine) -> int:
    """A Wujin order for 常州恒锐 delivered by a provider, submitted, with report v1 issued."""
    with Session(engine, expire_on_commit=False) as session:
        enterprise = session.exec(
            select(Enterprise).where(Enterprise.name == "常州恒锐精密机械有限公司")
        ).one()
        bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
        provider = orgs.create_provider(
            session=session,
            actor="t",
            uscc=factories.uscc("320412", 90),
            name="常州智造咨询",
            region_code="320412",
        )
        orgs.admit_provider(session=session, actor="t", bureau_id=bureau.id, provider_id=provider.id)  # type: ignore[arg-type]
        b = factories.user(session, "wj", Role.bureau, bureau.id, password=PASSWORD, full_name="王主任")
        p = factories.user(session, "prov", Role.provider, provider.id, password=PASSWORD, full_name="李工")
        batch = orders.create_batch(session=session, actor=b, name="批次", year=2026, budget_fen=25_000_000)
        order = orders.create_order(
            session=session,
            actor=b,
            batch_id=batch.id,
            enterprise_id=enterprise.id,
            kind="factory",
            fee_fen=1_000_000,  # type: ignore[arg-type]
        )
        for action, actor in (("assign", b), ("schedule", p), ("start_visit", p)):
            if action == "schedule":
                factories.name_lead(session, order, p)
            workflow.apply(
                session=session,
                order=order,
                action=action,
                actor=actor,
                inputs=workflow.Inputs(provider_id=provider.id, visit_date=date(2026, 11, 20)),
            )
        assessments.run_scoring(session=session, actor=p, order=order)
        workflow.apply(session=session, order=order, action="submit", actor=p)
        session.add(
            IssuedReport(
                order_id=order.id or 0,
                report_number="ZZ-2026-0001",
                version=1,
                lang="zh",
                content_sha256="0" * 64,
                pdf_sha256="1" * 64,
                size_bytes=9,
                pdf=b"%PDF-1.4\n",
                data={},
            )
        )
        session.commit()
        return order.id or 0


def test_enterprise_disputes_then_accepts_and_the_bureau_sees_it(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    order_id = submitted_with_report(engine)
    ent = login("ent1")
    page = ent.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "确认报告" in page and "对报告提出异议" in page and "尚未表态" in page
    url = f"/orders/{order_id}/dispute_report"
    # No reason: refused with a message, nothing stored.
    ent.post(url, data={"csrf_token": csrf_from(page), "reason": " "})
    with Session(engine) as session:
        assert session.get(DiagnosisOrder, order_id).report_verdict is None  # type: ignore[union-attr]
    # Another enterprise cannot reach the order at all; without CSRF nothing happens either.
    other = login("ent2")
    token = csrf_from(other.get("/orders").get_data(as_text=True))
    assert other.post(url, data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert ent.post(url, data={"reason": "x"}).status_code == 400
    response = ent.post(url, data={"csrf_token": csrf_from(page), "reason": "设备联网率与现场不符 <b>"})
    assert response.status_code == 302
    bureau_page = login("wj").get(f"/orders/{order_id}").get_data(as_text=True)
    verdict = bureau_page.split('id="report-verdict"')[1].split("</dd>")[0]
    assert "有异议" in verdict and "设备联网率与现场不符 &lt;b&gt;" in verdict
    assert "对报告提出异议" in bureau_page  # in the timeline, by its label
    flags_page = login("wj").get("/bureau/supervision/flags").get_data(as_text=True)
    disputed = flags_page.split('id="disputed-reports"')[1].split("</section>")[0]
    assert f'href="/orders/{order_id}"' in disputed and "设备联网率与现场不符 &lt;b&gt;" in disputed
    with Session(engine) as session:  # another bureau does not see it
        taicang = orgs.create_bureau(session=session, actor="t", name="太仓市工信局", region_code="320585")
        factories.user(session, "tc", Role.bureau, taicang.id, password=PASSWORD)
        session.commit()
    assert "设备联网率" not in login("tc").get("/bureau/supervision/flags").get_data(as_text=True)
    page = ent.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "对报告提出异议</button>" not in page and "确认报告</button>" in page
    assert (
        ent.post(f"/orders/{order_id}/accept_report", data={"csrf_token": csrf_from(page)}).status_code == 302
    )
    bureau_page = login("wj").get(f"/orders/{order_id}").get_data(as_text=True)
    assert "已确认" in bureau_page.split('id="report-verdict"')[1].split("</dd>")[0]
    flags_page = login("wj").get("/bureau/supervision/flags").get_data(as_text=True)
    assert "暂无企业对报告提出异议" in flags_page  # accepted since: no longer listed
    with Session(engine) as session:
        logged = session.exec(
            select(AuditLog)
            .where(AuditLog.action.in_(["order.dispute_report", "order.accept_report"]))  # type: ignore[attr-defined]
            .order_by(AuditLog.id)  # type: ignore[arg-type]
        ).all()
        assert [(e.action, e.actor) for e in logged] == [
            ("order.dispute_report", "ent1"),
            ("order.accept_report", "ent1"),
        ]
        assert logged[0].detail["reason"] == "设备联网率与现场不符 <b>"  # type: ignore[index]


def test_notifications_page_lists_ones_own_and_marks_them_read(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    order_id = submitted_with_report(engine)
    ent = login("ent1")
    page = ent.get(f"/orders/{order_id}").get_data(as_text=True)
    ent.post(f"/orders/{order_id}/dispute_report", data={"csrf_token": csrf_from(page), "reason": "数据不符"})
    bureau = login("wj")
    home = bureau.get("/notifications").get_data(as_text=True)
    assert 'id="unread-count">1<' in home
    listing = home.split('id="notifications"')[1].split("</ul>")[0]
    assert "企业对订单" in listing and "提出异议" in listing and "数据不符" in listing
    assert f'href="/orders/{order_id}"' in listing
    # The provider's lead was told of the assignment and of the dispute; the other enterprise of nothing.
    provider_list = login("prov").get("/notifications").get_data(as_text=True)
    assert provider_list.count('class="unread"') == 2
    assert "暂无通知" in login("ent2").get("/notifications").get_data(as_text=True)
    assert bureau.post("/notifications/read").status_code == 400  # CSRF
    assert bureau.post("/notifications/read", data={"csrf_token": csrf_from(home)}).status_code == 302
    assert 'id="unread-count"' not in bureau.get("/notifications").get_data(as_text=True)
    assert login("prov").get("/notifications").get_data(as_text=True).count('class="unread"') == 2


def test_the_api_shows_the_verdict_and_takes_it(app, engine) -> None:  # type: ignore[no-untyped-def]
    from diagnose.models import User
    from diagnose.services.accounts import tokens

    order_id = submitted_with_report(engine)
    with Session(engine) as session:
        ent = session.exec(select(User).where(User.username == "ent1")).one()
        wj = session.exec(select(User).where(User.username == "wj")).one()
        ent_token = tokens.issue_token(session=session, user=ent, scope="write")
        wj_token = tokens.issue_token(session=session, user=wj)
        session.commit()
    client = app.test_client()
    body = client.get(
        f"/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {ent_token}"}
    ).get_json()
    assert body["report_verdict"] is None and "dispute_report" in body["allowed_actions"]
    done = client.post(
        f"/api/v1/orders/{order_id}/actions/dispute_report",
        json={"reason": "覆盖率有误"},
        headers={"Authorization": f"Bearer {ent_token}"},
    )
    assert done.status_code == 200, done.get_json()
    seen = client.get(
        f"/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {wj_token}"}
    ).get_json()
    assert seen["report_verdict"] == "disputed" and seen["report_verdict_reason"] == "覆盖率有误"
