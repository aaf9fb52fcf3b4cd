"""The policies page: a bad quote is refused naming the clause; a good file is a draft with its diff, then published."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlmodel import Session

from diagnose.models import Role
from diagnose.services import orgs, policy_store
from tests import factories
from tests.web.conftest import PASSWORD, csrf_from

SAMPLES = Path(__file__).resolve().parents[1] / "policies"


def _files(document: dict[str, object]) -> dict[str, object]:
    source = (SAMPLES / "sample_wj_2026_source.txt").read_bytes()
    return {
        "policy_file": (io.BytesIO(json.dumps(document, ensure_ascii=False).encode("utf-8")), "p.json"),
        "source_file": (io.BytesIO(source), "source.txt"),
    }


def test_bureau_imports_reviews_and_publishes(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
        factories.user(session, "wj", Role.bureau, bureau.id, password=PASSWORD)
        session.commit()
    client = login("wj")
    page = client.get("/policies/?lang=en").get_data(as_text=True)
    assert "Load a new policy version" in page
    document = json.loads((SAMPLES / "sample_wj_2026.json").read_text(encoding="utf-8"))
    bad = json.loads(json.dumps(document))
    bad["clauses"][0]["quote"] = "按智能化设备及信息化投入的最高9%进行补助"
    refused = client.post(
        "/policies/import",
        data={"csrf_token": csrf_from(page), **_files(bad)},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "wj26s-1-retrofit" in refused and "not found verbatim" in refused
    response = client.post(
        "/policies/import",
        data={"csrf_token": csrf_from(page), **_files(document)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "wj26s-1-retrofit" in shown and "added" in shown and "Publish" in shown
    with Session(engine) as session:
        assert policy_store.catalogue(session=session).version == policy_store.load_catalogue().version
    published = client.post(
        response.headers["Location"] + "/publish",
        data={"csrf_token": csrf_from(shown)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Published wj-2026-sample version 1" in published
    with Session(engine) as session:
        assert "wj26s-1-retrofit" in {c.id for c in policy_store.catalogue(session=session).clauses}


def test_result_page_says_self_assessment_and_keeps_sure_and_ceilings_apart(world) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import client_as
    from tests.web.test_matrix import TEST_CONFIG
    from web import create_app

    client = client_as(create_app(world.settings(), TEST_CONFIG), world, "provider")
    page = client.get(f"/orders/{world.order_id}/result?lang=zh").get_data(as_text=True)
    assert "自评估" in page and "不是认证机构的成熟度评估认证" in page
    assert 'id="subsidy-sure"' in page and 'id="subsidy-ceilings"' in page
    assert 'id="tailoring"' in page and "全部能力子域均参与评估" in page
