"""自评与实测不一致: each contradiction is decided before submission, and the report prints the decision."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from diagnose import workflow
from diagnose.models import AuditLog, DiagnosisOrder, OrderStatus, User
from diagnose.schemas.errors import FieldError
from diagnose.services.diagnosis import assessments, contradictions
from reports import assemble, render_body


def _on_site(session: Session) -> tuple[DiagnosisOrder, User]:
    """The demo's order at the visit, scored now: its self-rating 部分满足 of NW-L3-01 against a 100 %
    networking rate is one contradiction."""
    order = session.exec(select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.on_site)).one()
    consultant = session.exec(
        select(User).where(User.provider_id == order.provider_id, User.role == "provider")
    ).first()
    assert consultant is not None
    # The demo's on-site order also rates the SME digital level (half answered); these tests are about CMMM's
    # contradictions, so here it rates CMMM alone (tests/web/test_sme_pages.py: submission waits for the SME).
    order.instruments = "cmmm"
    assessments.run_scoring(session=session, actor=consultant, order=order)
    return order, consultant


@pytest.mark.slow
def test_submission_waits_until_each_contradiction_is_decided(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        order, consultant = _on_site(session)
        [item] = contradictions.items(session=session, order=order)
        assert (item.requirement_id, item.claimed, item.proposed) == ("NW-L3-01", "0.5", "1")
        assert item.measured == "设备联网率 100.0%" and item.decision is None
        with pytest.raises(FieldError) as refused:
            workflow.apply(session=session, order=order, action="submit", actor=consultant)
        assert refused.value.field == "contradictions" and "NW-L3-01" in refused.value.message
        # Keeping the self-rating needs a written reason.
        with pytest.raises(FieldError) as no_reason:
            contradictions.decide(
                session=session, actor=consultant, order=order, requirement_id="NW-L3-01", decision="kept"
            )
        assert no_reason.value.field == "reason"
        reason = "联网设备中有三台仅上传报警，未实时传输生产数据，现场核实自评属实。"
        contradictions.decide(
            session=session, actor=consultant, order=order, requirement_id="NW-L3-01", decision="kept",
            reason=reason,
        )  # fmt: skip
        assert contradictions.unresolved(session=session, order=order) == []
        workflow.apply(session=session, order=order, action="submit", actor=consultant)
        assert order.status == OrderStatus.submitted
        logged = session.exec(
            select(AuditLog).where(AuditLog.action == "contradiction.decide", AuditLog.entity_id == order.id)
        ).one()
        detail = logged.detail if isinstance(logged.detail, dict) else json.loads(logged.detail)
        assert detail["decision"] == "kept" and detail["reason"] == reason
        data = assemble(session=session, order=order, public_url="")
        [check] = data.checks
        assert (check.requirement_id, check.decision, check.reason) == ("NW-L3-01", "kept", reason)
        text = str(render_body(data, "zh"))
        assert "保留自评" in text and reason in text and "设备联网率 100.0%" in text
        assert "须复核" not in text and "采用 0.5" not in text and "CONTRADICTION" not in text


@pytest.mark.slow
def test_changing_the_rating_scores_again_and_the_report_says_so(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        order, consultant = _on_site(session)
        before = assessments.latest_result(session=session, order=order)
        contradictions.decide(
            session=session, actor=consultant, order=order, requirement_id="NW-L3-01", decision="changed",
            new_rating="1",
        )  # fmt: skip
        after = assessments.latest_result(session=session, order=order)
        assert before is not None and after is not None and after.id != before.id  # scored again
        answer = assessments.answers_of(
            session=session, assessment=assessments.get_or_create(session=session, order=order)
        )["NW-L3-01"]
        assert answer.rating == "1"
        assert contradictions.items(session=session, order=order) == []  # the data now agree
        [check] = assemble(session=session, order=order, public_url="", draft=True).checks
        assert (check.decision, check.new_rating) == ("changed", "1")
        assert "改为「全部满足」" in str(
            render_body(assemble(session=session, order=order, draft=True), "zh")
        )


def test_a_kept_decision_answers_only_the_rating_it_was_made_on(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        order, consultant = _on_site(session)
        contradictions.decide(
            session=session, actor=consultant, order=order, requirement_id="NW-L3-01", decision="kept",
            reason="现场核实，自评属实。",
        )  # fmt: skip
        assessments.save_answer(
            session=session, actor=consultant, order=order, requirement_id="NW-L3-01", rating="0"
        )
        assessments.run_scoring(session=session, actor=consultant, order=order)
        assert contradictions.unresolved(session=session, order=order) == ["NW-L3-01"]  # decide again


def test_only_the_orders_consultants_decide_and_only_while_it_is_open(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        order, consultant = _on_site(session)
        bureau = session.exec(select(User).where(User.bureau_id == order.bureau_id)).first()
        assert bureau is not None
        with pytest.raises(FieldError) as forbidden:
            contradictions.decide(
                session=session, actor=bureau, order=order, requirement_id="NW-L3-01", decision="kept",
                reason="现场核实，自评属实。",
            )  # fmt: skip
        assert forbidden.value.code == "forbidden"
        with pytest.raises(FieldError) as unknown:
            contradictions.decide(
                session=session, actor=consultant, order=order, requirement_id="NW-L2-01", decision="kept",
                reason="现场核实，自评属实。",
            )  # fmt: skip
        assert unknown.value.field == "requirement_id"
        with pytest.raises(FieldError) as same:
            contradictions.decide(
                session=session, actor=consultant, order=order, requirement_id="NW-L3-01",
                decision="changed", new_rating="0.5",
            )  # fmt: skip
        assert same.value.field == "new_rating"
        submitted = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.submitted)
        ).first()
        assert submitted is not None
        with pytest.raises(FieldError):
            contradictions.decide(
                session=session, actor=consultant, order=submitted, requirement_id="NW-L3-01",
                decision="kept", reason="现场核实，自评属实。",
            )  # fmt: skip


def test_demo_diagnoses_were_decided_before_they_were_submitted(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        reported = session.exec(
            select(DiagnosisOrder).where(
                col(DiagnosisOrder.status).in_([OrderStatus.submitted, OrderStatus.accepted])
            )
        ).all()
        assert reported
        for order in reported:
            assert contradictions.unresolved(session=session, order=order) == []
            data = assemble(session=session, order=order, public_url="")
            assert all(c.decision in ("kept", "changed") for c in data.checks)
            assert all(c.reason for c in data.checks if c.decision == "kept")


@pytest.mark.slow
def test_the_report_page_shows_the_draft_and_takes_the_decision(demo_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from diagnose.db import make_engine
    from diagnose.settings import load_settings
    from tests.web.conftest import log_in_as
    from web import create_app

    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order, consultant = _on_site(session)
        session.commit()
        order_id, consultant_id = order.id, consultant.id
        enterprise_id = session.exec(select(User.id).where(User.enterprise_id == order.enterprise_id)).first()
    settings = load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="test-secret", database_url=f"sqlite:///{copy}"
    )
    app = create_app(settings, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    enterprise = app.test_client()
    log_in_as(app, enterprise, enterprise_id)
    assert enterprise.post(f"/orders/{order_id}/report/contradictions", data={}).status_code == 403
    # Before submission the draft is the consultant's and the bureau's, not yet the enterprise's.
    early = enterprise.get(f"/orders/{order_id}/report").get_data(as_text=True)
    assert "1 诊断摘要" not in early and "诊断提交后" in early
    client = app.test_client()
    log_in_as(app, client, consultant_id)
    page = client.get(f"/orders/{order_id}/report").get_data(as_text=True)
    # The draft before submission: the report itself, watermarked, with the item to decide and its form.
    assert "1 诊断摘要" in page and 'class="watermark"' in page and "待诊断人员核对" in page
    assert 'name="decision" value="kept"' in page and "部分满足" in page
    refused = client.post(
        f"/orders/{order_id}/report/contradictions",
        data={"requirement_id": "NW-L3-01", "decision": "kept", "reason": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请写明在实测数据不支持的情况下保留自评的理由" in refused
    done = client.post(
        f"/orders/{order_id}/report/contradictions",
        data={"requirement_id": "NW-L3-01", "decision": "changed", "new_rating": "1", "reason": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "所有不一致项均已核对" in done and "改为「全部满足」" in done
    engine.dispose()


def test_the_api_lists_and_decides_contradictions(demo_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from diagnose.db import make_engine
    from diagnose.services.accounts import tokens
    from diagnose.settings import load_settings
    from web import create_app

    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order, consultant = _on_site(session)
        token = tokens.issue_token(session=session, user=consultant)
        session.commit()
        order_id = order.id
    engine.dispose()
    settings = load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="test-secret", database_url=f"sqlite:///{copy}"
    )
    client = create_app(settings, {"TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/orders/{order_id}/contradictions", headers=auth).get_json()
    assert [(i["requirement_id"], i["decided"]) for i in listed["items"]] == [("NW-L3-01", False)]
    refused = client.post(f"/api/v1/orders/{order_id}/actions/submit", json={}, headers=auth)
    assert refused.status_code == 422 and refused.get_json()["field"] == "contradictions"
    no_reason = client.post(
        f"/api/v1/orders/{order_id}/contradictions",
        json={"requirement_id": "NW-L3-01", "decision": "kept"},
        headers=auth,
    )
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    decided = client.post(
        f"/api/v1/orders/{order_id}/contradictions",
        json={"requirement_id": "NW-L3-01", "decision": "kept", "reason": "现场核实，自评属实。"},
        headers=auth,
    ).get_json()
    assert decided["items"][0]["decided"] and decided["items"][0]["reason"] == "现场核实，自评属实。"
    assert client.post(f"/api/v1/orders/{order_id}/actions/submit", json={}, headers=auth).status_code == 200
