"""The payload-profile page: the plant and its provider choose how a source is read, try a pasted sample
before saving, get clear Chinese errors for a bad custom profile; others are refused; CSRF; audit log."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import AuditLog, DiagnosisOrder, Enterprise, PayloadProfileChoice
from tests.web.conftest import client_as, csrf_from
from web import create_app

SAMPLE = json.dumps(
    {"node": "CNC-01", "group": "g", "timestamp": 1764921600000, "values": {"state": 2, "count_total": "15"}}
)
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
CUSTOM = {
    "name": "line-plc",
    "title": "产线 PLC",
    "device": {"source": "field", "field": "machine"},
    "ts": {"field": "t", "format": "epoch_s"},
    "state": {"field": "run", "map": {"true": "RUN", "false": "IDLE"}},
}


def _app(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo.db"
    shutil.copy(world.db_path, copy)
    return create_app(world.settings(copy), {"TESTING": True}), make_engine(url=f"sqlite:///{copy}")


def _choices(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return {c.source: c.profile for c in session.exec(select(PayloadProfileChoice)).all()}


def test_provider_tries_a_sample_then_saves_and_it_is_audited(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/profiles"
    page = client.get(url)
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    form = {"csrf_token": token, "source": "neuron-1", "profile": "neuron-values", "sample": SAMPLE}
    tried = client.post(url, data={**form, "action": "preview"}).get_data(as_text=True)
    assert 'id="profile-preview"' in tried and "count_total</code> = 15" in tried and "RUN" in tried
    assert _choices(engine) == {}  # a preview saves nothing
    saved = client.post(url, data={**form, "action": "save"})
    assert saved.status_code == 302
    assert _choices(engine) == {"neuron-1": "neuron-values"}
    with Session(engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "payload_profile.choose")).one()
        assert entry.detail["source"] == "neuron-1"  # type: ignore[index]
    # Without the CSRF token nothing changes.
    refused = client.post(url, data={**form, "csrf_token": "", "source": "other", "action": "save"})
    assert refused.status_code == 400
    assert _choices(engine) == {"neuron-1": "neuron-values"}


def test_enterprise_saves_a_custom_profile_and_bad_ones_are_explained_in_chinese(
    world, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    client = client_as(app, world, "enterprise")
    url = "/enterprise/profiles"
    token = csrf_from(client.get(url).get_data(as_text=True))
    bad = {**CUSTOM, "ts": {"field": "t", "format": "minutes"}, "colour": 1}
    form = {"csrf_token": token, "source": "plc-gw", "profile": "custom", "action": "save"}
    html = client.post(url, data={**form, "spec": json.dumps(bad)}).get_data(as_text=True)
    assert (
        'id="profile-problems"' in html and "ts.format：只能是" in html and "colour：不认识这个字段" in html
    )
    html = client.post(url, data={**form, "spec": "{not json"}).get_data(as_text=True)
    assert "不是有效的 JSON" in html
    assert _choices(engine) == {}
    sample = json.dumps({"machine": "M-1", "t": 1764921600, "run": True, "pieces": "3"})
    tried = client.post(url, data={**form, "spec": json.dumps(CUSTOM), "sample": sample, "action": "preview"})
    html = tried.get_data(as_text=True)
    assert "pieces</code> = 3.0" in html, html[html.find("profile-preview") :][:1500]
    assert client.post(url, data={**form, "spec": json.dumps(CUSTOM)}).status_code == 302
    with Session(engine) as session:
        choice = session.exec(select(PayloadProfileChoice)).one()
        enterprise = session.get(Enterprise, choice.enterprise_id)
        order = session.get(DiagnosisOrder, world.order_id)
        assert choice.profile == "custom" and choice.spec["name"] == "line-plc"  # type: ignore[index]
        assert enterprise is not None and order is not None and enterprise.id == order.enterprise_id


def test_other_tenants_and_roles_are_refused(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, _engine = _app(world, tmp_path)
    url = f"/provider/orders/{world.order_id}/profiles"
    assert client_as(app, world, "provider_other").get(url).status_code in (403, 404)
    assert client_as(app, world, "enterprise").get(url).status_code == 403
    assert client_as(app, world, "provider").get("/enterprise/profiles").status_code == 403
    assert client_as(app, world, "anon").get("/enterprise/profiles").status_code in (302, 401)


def test_profile_dead_letter_reasons_read_in_chinese(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from diagnose.payload_profiles import builtins, try_sample
    from web.messages import dead_letter_reason

    app, _engine = _app(world, tmp_path)
    doc_example = json.dumps({"Device A": [{"ts": 1483228800000, "values": {"temperature": 42}}]}).encode()
    (refused,) = try_sample(
        builtins()["thingsboard-gateway"],
        doc_example,
        uscc="91320412MA1BQ7X2KL",
        source="gw",
        received_at=NOW,
    )
    with app.test_request_context():
        text = dead_letter_reason(refused.reason)  # type: ignore[union-attr]
    assert text == (
        "解析配置 thingsboard-gateway，第 1 条记录：设备编号 'Device A' 不符合规则：须为 1–64 位字母、数字或 _ . : -，不得含空格。"
    )
