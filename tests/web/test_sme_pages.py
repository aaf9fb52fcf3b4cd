"""One visit, two instruments (issue #26 points 4, 5): the order's choice, the SME questionnaire with measured
proposals accepted or overridden for a reason, the rating, the result page, the API, the bureau's levels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from apps.demo import sample_data
from diagnose.models import AuditLog, DiagnosisOrder, Enterprise, SmeAnswer, SmeResult, User
from diagnose.schemas.errors import FieldError
from diagnose.services.diagnosis import sme
from scoring.sme import score_answers
from scoring.sme.proposals import Proposal
from tests.web.conftest import client_as
from tests.web.world import db_of


@pytest.fixture
def app(world_app: Flask) -> Flask:
    return world_app


def order_of(db: Session, number_of_enterprise: int, status: str) -> DiagnosisOrder:
    name = sample_data.ENTERPRISES[number_of_enterprise - 1][0]
    return db.exec(
        select(DiagnosisOrder)
        .join(Enterprise)
        .where(Enterprise.name == name, DiagnosisOrder.status == status)
    ).one()


def test_the_provider_chooses_the_instruments_and_the_change_is_audited(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    page = client.get(f"/orders/{world.order_id}").get_data(as_text=True)
    assert 'id="instruments-form"' in page and 'value="both" checked' in page
    answer = client.post(f"/provider/orders/{world.order_id}/instruments", data={"instruments": "cmmm"})
    assert answer.status_code == 302
    with db_of(app) as db:
        assert db.get(DiagnosisOrder, world.order_id).instruments == "cmmm"  # type: ignore[union-attr]
        audit = db.exec(
            select(AuditLog).where(AuditLog.action == "order.instruments").order_by(col(AuditLog.id).desc())
        ).first()
        assert audit is not None and audit.detail == {"from": "both", "to": "cmmm"}
    # A CMMM-only order has no SME questionnaire.
    assert client.get(f"/provider/orders/{world.order_id}/sme").status_code == 404


def test_an_unknown_instrument_is_refused_and_changes_nothing(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    answer = client.post(
        f"/provider/orders/{world.order_id}/instruments", data={"instruments": "gbt"}, follow_redirects=True
    )
    assert "未保存" in answer.get_data(as_text=True)
    with db_of(app) as db:
        assert db.get(DiagnosisOrder, world.order_id).instruments == "both"  # type: ignore[union-attr]


def test_the_questionnaire_shows_each_proposal_with_its_evidence(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    page = (
        client_as(app, world, "provider").get(f"/provider/orders/{world.order_id}/sme").get_data(as_text=True)
    )
    # F3 设备联网率 is proposed from the ledger (every demo plant has one) and its evidence is printed.
    assert 'data-proposal="F3"' in page and "设备联网率" in page and "台账" in page
    # F2 设备数字化率 likewise, from the lines' 数字控制 (the demo's clamp-metered compressor has none).
    f2 = page[page.index('data-proposal="F2"') :]
    assert "具备数字控制" in f2[: f2.index("</p>")]
    assert "以正式文件为准" in page
    assert page.count('class="sme-item req"') == 15 + 16  # every item and scenario, each a form of its own
    # The test plant sends no data: F4's partial proposal sees no stage, so it proposes nothing (not "无").
    f4 = page[page.index('data-proposal="F4"') :]
    assert "数据不足" in f4[: f4.index("</p>")]


def test_overriding_a_proposal_needs_a_reason_and_a_refusal_keeps_the_stored_answer(
    app: Flask, world
) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        proposal = sme.proposals(session=db, order=order)["F3"]  # type: ignore[arg-type]
        before = sme.answers_of(session=db, order=order)["F3"]  # type: ignore[arg-type]
    assert proposal.value is not None
    other = "le10" if proposal.value != "le10" else "le20"
    client = client_as(app, world, "provider")
    refused = client.post(
        f"/provider/orders/{world.order_id}/sme/answers",
        data={"key": "F3", "value": other},
        follow_redirects=True,
    )
    assert "改写实测建议的理由" in refused.get_data(as_text=True)
    with db_of(app) as db:
        kept = sme.answers_of(session=db, order=db.get(DiagnosisOrder, world.order_id))["F3"]  # type: ignore[arg-type]
        assert (kept.value, kept.decision) == (before.value, before.decision)
    client.post(
        f"/provider/orders/{world.order_id}/sme/answers",
        data={"key": "F3", "value": other, "reason": "现场另有未登记设备未联网。"},
    )
    with db_of(app) as db:
        row = sme.answers_of(session=db, order=db.get(DiagnosisOrder, world.order_id))["F3"]  # type: ignore[arg-type]
        assert (row.value, row.decision, row.proposed) == (other, "overridden", proposal.value)
        assert row.reason == "现场另有未登记设备未联网。" and "设备联网率" in row.evidence


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"key": "F2", "value": "gt90"}, "allowed: le10, le20, le40, le60, gt60"),
        ({"key": "F2", "value": ["le10", "le20"]}, "请选择一项"),
        ({"key": "energy", "value": "5"}, "0"),
        ({"key": "NOPE", "value": "1"}, "NOPE"),
    ],
)
def test_a_bad_answer_is_refused_with_the_reason(
    app: Flask, world, form: dict[str, object], says: str
) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    with db_of(app) as db:
        count = len(db.exec(select(SmeAnswer)).all())
    page = client.post(f"/provider/orders/{world.order_id}/sme/answers", data=form, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "未保存" in text and says in text
    with db_of(app) as db:
        assert len(db.exec(select(SmeAnswer)).all()) == count


def test_accepting_a_partial_proposal_keeps_what_the_consultant_adds() -> None:
    partial = Proposal("F4", "item", ("equipment",), "设备状态已自动采集", partial=True)
    assert sme._decision(["equipment", "finance"], partial) == "accepted"
    assert sme._decision(["finance"], partial) == "overridden"
    assert sme._decision(["finance"], Proposal("F4", "item", (), "未收到数据", partial=True)) == "manual"
    assert sme._decision(3, Proposal("energy", "scenario", 3, "")) == "accepted"
    assert sme._decision(2, Proposal("energy", "scenario", None, "")) == "manual"


def test_the_rating_is_the_pure_scoring_of_the_saved_answers(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        row = sme.latest(session=db, order=order)  # type: ignore[arg-type]
        answers = sme.as_answers(sme.answers_of(session=db, order=order).values())  # type: ignore[arg-type]
    expected = score_answers(answers)
    assert (
        row is not None and row.level == expected.level and row.detail["total"] == expected.to_dict()["total"]
    )
    page = client_as(app, world, "enterprise").get(f"/orders/{world.order_id}/result").get_data(as_text=True)
    assert f'<strong id="sme-level">{expected.level_zh}</strong>' in page
    assert "不是工业和信息化部评测系统出具的正式评测结果或证书" in page and "专精特新" in page


def test_rating_an_unfinished_questionnaire_names_what_is_missing(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        provider = db.get(User, world.user_ids["provider"])
        for row in db.exec(
            select(SmeAnswer).where(SmeAnswer.order_id == world.order_id, SmeAnswer.key == "hr")
        ):
            db.delete(row)
        db.commit()
        results = len(db.exec(select(SmeResult)).all())
        with pytest.raises(FieldError) as refused:
            sme.score(session=db, actor=provider, order=order)  # type: ignore[arg-type]
        assert refused.value.field == "hr" and "人力资源" in refused.value.message
        db.rollback()
        assert len(db.exec(select(SmeResult)).all()) == results


def test_submission_waits_for_the_sme_rating(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        for row in db.exec(select(SmeResult).where(SmeResult.order_id == world.order_id)):
            db.delete(row)
        db.commit()
    answer = client_as(app, world, "provider").post(f"/orders/{world.order_id}/submit", follow_redirects=True)
    assert "提交前请先评定中小企业数字化水平" in answer.get_data(as_text=True)
    with db_of(app) as db:
        assert db.get(DiagnosisOrder, world.order_id).status == "on_site"  # type: ignore[union-attr]


def test_the_api_gives_the_level_and_the_comparison_with_an_earlier_rating(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        accepted = order_of(db, 1, "accepted")
        cancelled = order_of(db, 1, "cancelled")
        after = sme.latest(session=db, order=accepted)
        assert after is not None and after.level == 2
        # An earlier rating of the same enterprise (here kept on its other order), a month before.
        starting = sample_data.SME_ANSWERS["starting"]
        earlier = score_answers(starting)
        db.add(
            SmeResult(
                order_id=cancelled.id, level=earlier.level, total=earlier.to_dict()["total"],  # type: ignore[arg-type]
                index_version=earlier.index_version, detail=earlier.to_dict() | {"answers": starting},
                created_at=after.created_at - timedelta(days=30),
            )
        )  # fmt: skip
        db.commit()
        accepted_id = accepted.id
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    body = app.test_client().get(f"/api/v1/orders/{accepted_id}/sme", headers=headers).get_json()
    assert body["rated"] is True and body["level"] == 2 and body["level_zh"] == "二级"
    assert body["comparison"]["level_before"] == 1 and body["comparison"]["level_after"] == 2
    assert "由一级提升至二级" in body["comparison"]["summary_zh"]
    assert any(d["decision"] == "overridden" and d["reason"] for d in body["decisions"])
    assert "以正式文件为准" in body["official_note_zh"]
    # A CMMM-only order has no SME rating to show.
    with db_of(app) as db:
        cmmm_only = order_of(db, 2, "submitted")
    missing = app.test_client().get(f"/api/v1/orders/{cmmm_only.id}/sme", headers=headers)
    assert missing.status_code == 404


def test_the_bureau_sees_its_regions_levels_and_its_pilots(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    wujin = client_as(app, world, "bureau").get("/bureau/sme-levels").get_data(as_text=True)
    taicang = client_as(app, world, "bureau_other").get("/bureau/sme-levels").get_data(as_text=True)
    # Wujin: ent1 rated 二级 (ent4 still on site does not count).
    assert '<tr data-level="2"><td>二级</td><td class="num">1</td><td class="num">0</td></tr>' in wujin
    assert "辖区内尚无试点企业完成评定" in wujin
    # Taicang: ent7 rated 一级 and ent8 二级 (its SME-only visit after the retrofit), both pilots.
    assert '<tr data-level="1"><td>一级</td><td class="num">1</td><td class="num">1</td></tr>' in taicang
    assert '<tr data-level="2"><td>二级</td><td class="num">1</td><td class="num">1</td></tr>' in taicang
    assert "已评定的 2 家试点企业中，1 家达到二级及以上" in taicang
    assert '<td class="num" id="sme-pilots-at-target">1（50.0%）</td>' in taicang
    with db_of(app) as db:
        for row in db.exec(select(SmeResult)):
            db.delete(row)
        db.commit()
    empty = client_as(app, world, "bureau").get("/bureau/sme-levels").get_data(as_text=True)
    assert '<td class="num" id="sme-at-target">0（数据不足）</td>' in empty  # never 0 % without data


def test_a_scenario_proposal_shows_its_grade_and_evidence(app: Flask, world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import web.sme

    proposal = Proposal("energy", "scenario", 3, "5 台生产设备中 5 台有电表，单位产品能耗已测得。")
    monkeypatch.setattr(web.sme, "_proposals", lambda order: {"energy": proposal})
    page = (
        client_as(app, world, "provider").get(f"/provider/orders/{world.order_id}/sme").get_data(as_text=True)
    )
    start = page.index('data-proposal="energy"')
    box = page[start : page.index("</p>", start)]
    assert "<strong>三级</strong>" in box and "单位产品能耗已测得" in box


def test_a_submitted_orders_proposals_read_the_snapshot_its_scoring_stored(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    """One set of figures per visit: once the order is submitted, the SME proposals come from the week the
    CMMM scoring stored, as the result page and the report read it, not from the plant as it is now."""
    from diagnose.services.diagnosis import assessments, evidence_snapshot
    from diagnose.services.shopfloor import plant_records
    from scoring.sme.proposals import measured_from_snapshot, propose_all

    with db_of(app) as db:
        order = next(
            o
            for o in db.exec(
                select(DiagnosisOrder).where(col(DiagnosisOrder.status).in_(("submitted", "accepted")))
            )
            if o.rates_sme and assessments.latest_result(session=db, order=o) is not None
        )
        stored = evidence_snapshot.of_result(
            session=db, result=assessments.latest_result(session=db, order=order)
        )  # type: ignore[arg-type]
        expected = {p.target: p.value for p in propose_all(measured_from_snapshot(stored))}
        # The plant changes after the scoring: five more production machines, none connected.
        for n in range(5):
            plant_records.add_equipment(
                session=db, actor="test", enterprise_id=order.enterprise_id,
                raw={"code": f"LATE-{n}", "name": f"后加设备{n}", "production": "1", "connected": "0"},
            )  # fmt: skip
        db.commit()
        live = assessments.live_snapshot(session=db, order=order)
        assert propose_all(measured_from_snapshot(live)) != propose_all(measured_from_snapshot(stored))
        shown = sme.proposals(session=db, order=order)
        assert shown["F3"].value == expected["F3"]
        assert {key: p.value for key, p in shown.items() if p.value is not None} == {
            key: value for key, value in expected.items() if value not in (None, ())
        }


def test_a_bureau_keeps_its_pilot_list_and_the_levels_page_counts_it(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        hengrui = db.exec(select(Enterprise).where(Enterprise.name == sample_data.ENTERPRISES[0][0])).one()
        youchi = db.exec(select(Enterprise).where(Enterprise.name == sample_data.ENTERPRISES[6][0])).one()
        entries_before = len(db.exec(select(AuditLog)).all())
    wujin = client_as(app, world, "bureau")
    listed = wujin.get("/bureau/sme-pilots").get_data(as_text=True)
    assert hengrui.name in listed and youchi.name not in listed  # its own regions only
    # No reason: refused, nothing marked.
    refused = wujin.post(
        "/bureau/sme-pilots", data={"enterprise_id": hengrui.id, "pilot": "true", "reason": ""}
    )
    assert refused.status_code == 422 and "未保存" in refused.get_data(as_text=True)
    assert "辖区内尚无试点企业完成评定" in wujin.get("/bureau/sme-levels").get_data(as_text=True)
    # Marked with the reason: the levels page counts its 二级 rating among the pilots; the change is audited.
    reason = "常武试点名单（第二批）"
    marked = wujin.post(
        "/bureau/sme-pilots", data={"enterprise_id": hengrui.id, "pilot": "true", "reason": reason}
    )
    assert marked.status_code == 302
    levels = wujin.get("/bureau/sme-levels").get_data(as_text=True)
    assert '<tr data-level="2"><td>二级</td><td class="num">1</td><td class="num">1</td></tr>' in levels
    assert "已评定的 1 家试点企业中，1 家达到二级及以上" in levels
    only = wujin.get("/bureau/sme-pilots?pilots=1").get_data(as_text=True)
    assert hengrui.name in only and sample_data.ENTERPRISES[1][0] not in only
    # Marking it again changes nothing and writes no second entry.
    wujin.post(
        "/bureau/sme-pilots", data={"enterprise_id": hengrui.id, "pilot": "true", "reason": "重复提交"}
    )
    with db_of(app) as db:
        entries = db.exec(select(AuditLog).where(AuditLog.action == "enterprise.sme_pilot")).all()
        assert [(e.actor, e.entity_id, e.detail) for e in entries] == [
            ("wujin", str(hengrui.id), {"pilot": True, "reason": reason})
        ]
        assert len(db.exec(select(AuditLog)).all()) == entries_before + 1
    # Another region's enterprise: not found for this bureau, and not marked.
    other = wujin.post(
        "/bureau/sme-pilots", data={"enterprise_id": youchi.id, "pilot": "false", "reason": "越权"}
    )
    assert other.status_code == 404
    assert "太仓优驰" in client_as(app, world, "bureau_other").get("/bureau/sme-pilots?pilots=1").get_data(
        as_text=True
    )
    # Taken out again: the pilots' column is empty once more.
    wujin.post(
        "/bureau/sme-pilots", data={"enterprise_id": hengrui.id, "pilot": "false", "reason": "名单更正"}
    )
    assert "辖区内尚无试点企业完成评定" in wujin.get("/bureau/sme-levels").get_data(as_text=True)


def test_the_api_reads_and_sets_the_pilot_mark_for_the_bureau_of_the_region(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        hengrui = db.exec(select(Enterprise).where(Enterprise.name == sample_data.ENTERPRISES[0][0])).one()
    url = f"/api/v1/enterprises/{hengrui.id}/sme-pilot"
    client = app.test_client()

    def as_(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens[role]}"}

    assert client.get(url, headers=as_("admin")).get_json() == {
        "enterprise_id": hengrui.id, "pilot": False, "marked_at": None,
    }  # fmt: skip
    put = client.put(url, json={"pilot": True, "reason": "试点名单"}, headers=as_("bureau"))
    assert put.status_code == 200 and put.get_json()["pilot"] is True and put.get_json()["marked_at"]
    assert client.get(url, headers=as_("bureau")).get_json()["pilot"] is True
    assert client.put(url, json={"pilot": False}, headers=as_("bureau")).status_code == 422  # no reason
    assert client.put(url, json={"pilot": False, "reason": "x"}, headers=as_("provider")).status_code == 403
    assert (
        client.put(url, json={"pilot": False, "reason": "越权"}, headers=as_("bureau_other")).status_code
        == 404
    )
    assert (
        client.get(url, headers=as_("admin")).get_json()["pilot"] is True
    )  # none of the refusals changed it


def test_the_api_carries_the_questionnaire_the_answers_and_the_rating(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    """A provider's app does through the API what the questionnaire page does, under the same rules."""
    client = app.test_client()

    def as_(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens[role]}"}

    base = f"/api/v1/orders/{world.order_id}"
    shown = client.get(f"{base}/sme/answers", headers=as_("provider")).get_json()
    assert shown["editable"] is True and shown["instruments"] == "both"
    f3 = next(p for p in shown["proposals"] if p["key"] == "F3")
    assert f3["value"] and "设备联网率" in f3["evidence_zh"]
    other = "le10" if f3["value"] != "le10" else "le20"
    with db_of(app) as db:
        before = db.exec(
            select(SmeAnswer).where(SmeAnswer.order_id == world.order_id, SmeAnswer.key == "F3")
        ).first()
        stored_before = before.value if before else None
    # Against the proposal without a reason: refused, nothing changed.
    refused = client.put(f"{base}/sme/answers/F3", json={"value": other}, headers=as_("provider"))
    assert refused.status_code == 422 and refused.get_json()["field"] == "reason"
    bad = client.put(
        f"{base}/sme/answers/F3", json={"value": "gt90", "reason": "现场核实"}, headers=as_("provider")
    )
    assert bad.status_code == 422 and "le10" in bad.get_json()["message"]
    with db_of(app) as db:
        row = db.exec(
            select(SmeAnswer).where(SmeAnswer.order_id == world.order_id, SmeAnswer.key == "F3")
        ).first()
        assert (row.value if row else None) == stored_before
    saved = client.put(
        f"{base}/sme/answers/F3",
        json={"value": other, "reason": "现场另有 2 台未登记设备未联网"},
        headers=as_("provider"),
    )
    assert saved.status_code == 200
    assert saved.get_json() | {"evidence_zh": ""} == {
        "key": "F3", "value": other, "proposed": f3["value"], "evidence_zh": "", "decision": "overridden",
        "reason": "现场另有 2 台未登记设备未联网",
    }  # fmt: skip
    # Only the order's provider writes; another provider does not see the order.
    assert (
        client.put(f"{base}/sme/answers/F3", json={"value": other}, headers=as_("enterprise")).status_code
        == 403
    )
    assert client.post(f"{base}/sme/score", headers=as_("provider_other")).status_code == 404
    rated = client.post(f"{base}/sme/score", headers=as_("provider"))
    assert rated.status_code == 200 and rated.get_json()["rated"] is True
    with db_of(app) as db:
        newest = sme.latest(session=db, order=db.get(DiagnosisOrder, world.order_id))  # type: ignore[arg-type]
        assert newest is not None and rated.get_json()["level"] == newest.level
        assert newest.detail["answers"]["items"]["F3"] == other
    # The instruments by the API, under the page's rule (an unknown one refused).
    assert (
        client.put(f"{base}/instruments", json={"instruments": "gbt"}, headers=as_("provider")).status_code
        == 422
    )
    alone = client.put(f"{base}/instruments", json={"instruments": "sme"}, headers=as_("provider"))
    assert alone.get_json() == {"order_id": world.order_id, "instruments": "sme"}
    kept = client.put(f"{base}/instruments", json={"instruments": "both"}, headers=as_("provider"))
    assert kept.get_json() == {"order_id": world.order_id, "instruments": "both"}


def test_the_effect_items_are_proposed_against_the_week_of_an_earlier_diagnosis(
    app: Flask, world, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """R1 (energy per unit) and R2 (pass rate), before and after: the week stored with the enterprise's earlier
    submitted or accepted diagnosis, and this order's week; nothing proposed without an earlier one. (The test
    world's plants send no telemetry: a measured week stands in for the stored ones.)"""
    from diagnose.models import Result
    from diagnose.services.diagnosis import assessments
    from scoring.indicators.snapshot import evidence_snapshot
    from tests.scoring.test_sme_proposals import _snapshot

    week = evidence_snapshot(_snapshot())
    read: list[int] = []

    def stored_week(*, session, result, silence_timeout_s=600):  # type: ignore[no-untyped-def]
        read.append(result.id)
        return week

    monkeypatch.setattr(sme.evidence_snapshot, "of_result", stored_week)
    with db_of(app) as db:
        after_order = order_of(db, 1, "accepted")
        assert "R1" not in sme.proposals(session=db, order=after_order, snapshot=week)  # no earlier diagnosis
        # Another plant's scored diagnosis, made this enterprise's earlier one (half a year before).
        earlier = db.exec(
            select(DiagnosisOrder)
            .join(Result, col(Result.order_id) == DiagnosisOrder.id)
            .where(
                DiagnosisOrder.enterprise_id != after_order.enterprise_id,
                col(DiagnosisOrder.status).in_(("submitted", "accepted")),
            )
        ).first()
        assert earlier is not None
        result = assessments.latest_result(session=db, order=earlier)
        assert result is not None
        earlier.enterprise_id = after_order.enterprise_id
        # Every scoring of that order half a year back (a contradiction decided by changing the rating scores
        # the order again: the newest stays the newest).
        shift = result.created_at - (after_order.created_at - timedelta(days=180))
        for scored in db.exec(select(Result).where(Result.order_id == earlier.id)).all():
            scored.created_at = scored.created_at - shift
            db.add(scored)
        db.add(earlier)
        db.commit()
        found = sme.proposals(session=db, order=after_order, snapshot=week)
    assert read == [result.id]
    for key, item in (("R1", "单位产品能耗"), ("R2", "产品合格率")):
        assert found[key].value == "flat", found[key]  # the same week before and after: unchanged
        assert item in found[key].evidence_zh and "改造前" in found[key].evidence_zh


def test_an_api_answer_of_the_wrong_json_type_is_refused_not_coerced(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {world.tokens['provider']}"}
    base = f"/api/v1/orders/{world.order_id}/sme/answers"
    with db_of(app) as db:
        kept = {
            r.key: r.value for r in db.exec(select(SmeAnswer).where(SmeAnswer.order_id == world.order_id))
        }
    for key, value in (("energy", True), ("F2", 40), ("F2", None), ("F1", [1, 2]), ("energy", {"grade": 2})):
        refused = app.test_client().put(
            f"{base}/{key}", json={"value": value, "reason": "现场核实"}, headers=headers
        )
        assert refused.status_code == 422, (key, value, refused.get_data(as_text=True)[:200])
    with db_of(app) as db:
        assert {
            r.key: r.value for r in db.exec(select(SmeAnswer).where(SmeAnswer.order_id == world.order_id))
        } == kept


def test_a_pilot_reason_in_any_script_is_kept_as_typed_and_shown_escaped(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with db_of(app) as db:
        hengrui = db.exec(select(Enterprise).where(Enterprise.name == sample_data.ENTERPRISES[0][0])).one()
    reason = "<script>alert(1)</script> 试点名单📄 ‮RTL\u200b" + "长" * 1900
    wujin = client_as(app, world, "bureau")
    assert (
        wujin.post(
            "/bureau/sme-pilots", data={"enterprise_id": hengrui.id, "pilot": "true", "reason": reason}
        ).status_code
        == 302
    )
    too_long = wujin.post(
        "/bureau/sme-pilots", data={"enterprise_id": hengrui.id, "pilot": "false", "reason": "长" * 2001}
    )
    assert too_long.status_code == 422  # refused; the mark stays
    with db_of(app) as db:
        entry = db.exec(select(AuditLog).where(AuditLog.action == "enterprise.sme_pilot")).one()
        assert entry.detail == {"pilot": True, "reason": reason.strip()}
    page = wujin.get("/bureau/audit-log?action=enterprise").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 试点名单📄" in page and "<script>alert(1)" not in page
