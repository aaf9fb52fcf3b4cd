"""The policies page: a bad quote is refused naming the clause; a good file is a draft with its diff, then published."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlmodel import Session

from diagnose.models import Role
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import policy_store
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


def test_policies_page_names_each_policy_with_its_number_issuer_validity_and_status(
    app, login, engine
) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
        factories.user(session, "wj", Role.bureau, bureau.id, password=PASSWORD)
        session.commit()
    page = login("wj").get("/policies/").get_data(as_text=True)
    table = page.split('id="in-force"')[1].split("</table>")[0]
    taicang = table.split('id="policy-tc-2021-3"')[1].split("</tr>")[0]
    assert "关于推进制造业智能化改造和数字化转型的若干措施" in taicang and "太政发〔2021〕3号" in taicang
    assert "太仓市人民政府" in taicang and "2021-01-01 – 2023-12-31" in taicang and "已失效" in taicang
    changzhou = table.split('id="policy-cz-2021-62"')[1].split("</tr>")[0]
    assert (
        "常州市工业和信息化局、常州市财政局" in changzhou and "现行" in changzhou and "长期有效" in changzhou
    )
    # No bare code is shown as a policy's name.
    import re

    text = re.sub(r"<[^>]+>", " ", table)
    assert "tc-2021-3" not in text and "wj-2024" not in text


def test_policy_status_on_a_day() -> None:
    from datetime import date

    assert policy_store.policy_status(date(2024, 1, 1), date(2024, 12, 31), date(2025, 1, 1)) == "expired"
    assert policy_store.policy_status(date(2024, 1, 1), date(2024, 12, 31), date(2024, 12, 31)) == "in_force"
    assert policy_store.policy_status(date(2027, 1, 1), None, date(2026, 12, 7)) == "not_yet"
    assert set(policy_store.issuers()) == {p.id for p in policy_store.load_catalogue().policies}


def test_new_order_form_says_which_fee_caps_apply(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        bureau = orgs.create_bureau(session=session, actor="t", name="武进区工信局", region_code="320412")
        factories.user(session, "wj", Role.bureau, bureau.id, password=PASSWORD)
        session.commit()
    page = login("wj").get("/bureau/orders/new").get_data(as_text=True)
    caps = page.split('id="fee-caps"')[1].split("</ul>")[0]
    # Wujin has no cap of its own in force: the form says the platform default applies, not Taicang's policy.
    assert "没有现行政策" in caps and "平台默认值" in caps
    assert "现行至" not in caps and "有效期" not in caps
