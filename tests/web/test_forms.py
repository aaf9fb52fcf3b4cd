"""Issue #16, schemas once: every page form is parsed by web.forms against a diagnose.schemas model.

For each converted form a bad value (wrong type, missing, out of range, unknown choice) is answered as the page
answered before (re-rendered with 400/422, or redirected with the message flashed), the field named in Chinese,
and the database is exactly as it was. Where the API takes the same schema, both refuse the same value with the
same field and message, and the page shows that message in words.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select
from werkzeug.datastructures import FileStorage, MultiDict

import diagnose.models  # noqa: F401  (every table in the metadata, for the snapshot)
from diagnose.db import make_engine
from diagnose.schemas.accounts import LoginForm, PasswordChange
from diagnose.schemas.answers import AttachmentForm
from diagnose.schemas.devices import DeadLetterReplay, DeviceCreate
from diagnose.schemas.enterprises import EnterpriseCreate, ProviderCreate
from diagnose.schemas.orders import ActionIn, BatchForm, OrderForm
from diagnose.schemas.reports import ReportIssueIn
from tests import factories
from tests.web.conftest import PASSWORD, client_as, csrf_from
from web import create_app
from web.forms import FormError, parse_form

CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
ROOT = Path(__file__).resolve().parents[2]


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, to compare before and after a refused form."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()))
            for table in SQLModel.metadata.sorted_tables
        }


def flashed(html: str) -> list[str]:
    """The error messages of a page: flashed, or the public verification page's own."""
    return re.findall(r'<(?:div class="flash error"|p class="error")>([^<]*)</(?:div|p)>', html)


def unescaped(text: str) -> str:
    import html

    return html.unescape(text)


@pytest.fixture
def copy(world, tmp_path: Path) -> Iterator[tuple[Flask, Engine]]:  # type: ignore[no-untyped-def]
    """An app on a copy of the demo world, and an engine on that copy."""
    path = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, path)
    engine = make_engine(url=f"sqlite:///{path}")
    yield create_app(world.settings(path), CONFIG), engine
    engine.dispose()


# (role, path, form, status, message). {o} is the world's on-site order, {f} its flag, {u} a user, {D} a
# device of the order's plant ({X} its external id), {r} a requirement. A 302 is a handler that redirected with a flash before, as it still does.
BAD: dict[str, tuple[str, str, dict[str, Any], int, str]] = {
    "user: organisation of another kind": (
        "admin",
        "/admin/users",
        {"username": "neu", "full_name": "新", "password": "Long-enough-9", "role": "bureau"}
        | {"organisation_id": "provider:1"},
        422,
        "所属单位：须与所选角色一致（应选择主管部门）",
    ),
    "user: no username": (
        "admin",
        "/admin/users",
        {"username": " ", "full_name": "新", "password": "Long-enough-9", "role": "admin"},
        422,
        "用户名：为必填项",
    ),
    "user: unknown role": (
        "admin",
        "/admin/users",
        {"username": "neu", "full_name": "新", "password": "Long-enough-9", "role": "root"},
        422,
        "角色：不是有效选项",
    ),
    "deactivate: not a boolean": (
        "admin",
        "/admin/users/{u}/active",
        {"active": "maybe"},
        302,
        "启用：不是有效选项",
    ),
    "password reset: empty": (
        "admin",
        "/admin/users/{u}/password",
        {"password": ""},
        302,
        "新密码：为必填项",
    ),
    "enterprise: wrong check character": (
        "admin",
        "/admin/organisations/enterprises",
        {"name": "新企业", "uscc": "91320412MA1XXXXXXX", "region_code": "320412", "industry_code": "C34"},
        422,
        "统一社会信用代码：第 18 位校验码应为",
    ),
    "enterprise: unknown industry type": (
        "admin",
        "/admin/organisations/enterprises",
        {"name": "新企业", "uscc": factories.uscc(), "region_code": "320412", "industry_code": "C34"}
        | {"industry_type": "mining"},
        422,
        "行业类型：不是有效选项",
    ),
    "provider: region not 6 digits": (
        "admin",
        "/admin/organisations/providers",
        {"name": "新服务商", "uscc": factories.uscc(), "region_code": "3204"},
        422,
        "行政区划代码：须为 6 位 GB/T 2260 行政区划代码",
    ),
    "bureau: name too long": (
        "admin",
        "/admin/organisations/bureaus",
        {"name": "局" * 129, "region_code": "320412"},
        422,
        "主管部门名称：最多 128 个字符",
    ),
    "region: unknown level": (
        "admin",
        "/admin/regions",
        {"code": "320499", "name": "新区", "level": "planet"},
        422,
        "等级：不是有效选项",
    ),
    "region: unknown parent": (
        "admin",
        "/admin/regions",
        {"code": "320499", "name": "新区", "level": "district", "parent_code": "999999"},
        422,
        "上级地区：请从列表中选择地区",
    ),
    "token: days out of range": (
        "enterprise",
        "/account/token",
        {"scope": "read", "ttl_days": "0"},
        422,
        "有效天数：不能小于 1",
    ),
    "token: unknown scope": (
        "enterprise",
        "/account/token",
        {"scope": "admin"},
        422,
        "权限范围：不是有效选项",
    ),
    "password: the two differ": (
        "enterprise",
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "New-secret-99",
            "new_password_again": "New-secret-98",
        },
        400,
        "再次输入新密码：与新密码不一致",
    ),
    "batch: year out of range": (
        "bureau",
        "/bureau/batches",
        {"name": "第九批", "year": "1999", "budget_yuan": "100000"},
        422,
        "年度：不能小于 2000",
    ),
    "batch: three decimals": (
        "bureau",
        "/bureau/batches",
        {"name": "第九批", "year": "2026", "budget_yuan": "1.234"},
        422,
        "批次预算：最多保留两位小数",
    ),
    "order: unknown kind": (
        "bureau",
        "/bureau/orders/new",
        {"batch_id": "1", "enterprise_id": "1", "kind": "city", "fee_yuan": "100"},
        422,
        "诊断类型：不是有效选项",
    ),
    "order: batch not a number": (
        "bureau",
        "/bureau/orders/new",
        {"batch_id": "first", "enterprise_id": "1", "kind": "factory", "fee_yuan": "100"},
        422,
        "采购批次：不是数字",
    ),
    "order: fee missing": (
        "bureau",
        "/bureau/orders/new",
        {"batch_id": "1", "enterprise_id": "1", "kind": "factory", "fee_yuan": ""},
        422,
        "诊断服务费：为必填项",
    ),
    "pool: unknown change": (
        "bureau",
        "/bureau/pool",
        {"year": "2026", "provider_id": "1", "change": "promote", "reason": "考核"},
        422,
        "变更：不是有效选项",
    ),
    "pool: year out of range": (
        "bureau",
        "/bureau/pool",
        {"year": "1999", "provider_id": "1", "change": "add", "reason": "考核"},
        422,
        "年度：不能小于 2000",
    ),
    "action: visit date not a date": (
        "provider",
        "/orders/{o}/schedule",
        {"visit_date": "31.12.2026"},
        302,
        "上门日期：不是有效日期",
    ),
    "action: rating out of range": (
        "enterprise",
        "/orders/{o}/rate",
        {"rating": "9"},
        302,
        "评分：不能大于 5",
    ),
    "device: id with a space": (
        "provider",
        "/provider/orders/{o}/devices",
        {"external_id": "a b", "networked": "on"},
        302,
        "设备编号须为 1–64 位字母、数字或 _ . : -，不能全是点，不得含空格、控制字符或 / + #。",
    ),
    "device: negative cycle time": (
        "provider",
        "/provider/orders/{o}/devices",
        {"external_id": "NEW-9", "ideal_cycle_s": "-1"},
        302,
        "理论节拍（秒）：须大于 0",
    ),
    "review: unknown decision": (
        "provider",
        "/provider/orders/{o}/devices/review",
        {"decision": "approve", "device_id": "{D}"},
        302,
        "处理：不是有效选项",
    ),
    "review: nothing chosen": (
        "provider",
        "/provider/orders/{o}/devices/review",
        {"decision": "confirm"},
        302,
        "设备：请至少选择一项",
    ),
    "replay: message id not a number": (
        "provider",
        "/provider/orders/{o}/dead-letters/replay",
        {"letter_id": "first"},
        302,
        "消息：不是数字",
    ),
    "ledger: no asset number": (
        "provider",
        "/provider/orders/{o}/ledger",
        {"code": "", "name": "车床"},
        422,
        "设备编号：为必填项",
    ),
    "ledger: platform device id with a slash": (
        "provider",
        "/provider/orders/{o}/ledger",
        {"code": "L9", "name": "车床", "device_id": "a/b"},
        422,
        "设备编号须为 1–64 位字母",
    ),
    "ledger import: rows not JSON": (
        "provider",
        "/provider/orders/{o}/ledger/import",
        {"confirm": "1", "rows_json": "[{"},
        422,
        "待保存的行：无法读取",
    ),
    "ledger import: no file": (
        "provider",
        "/provider/orders/{o}/ledger/import",
        {},
        422,
        "文件：请选择 .csv 或 .xlsx 文件",
    ),
    "calendar: weekday out of range": (
        "provider",
        "/provider/orders/{o}/calendar",
        {"kind": "shift", "weekday": "7", "start": "08:00", "end": "16:00"},
        422,
        "星期：不能大于 6",
    ),
    "calendar: unknown kind": (
        "provider",
        "/provider/orders/{o}/calendar",
        {"kind": "nap", "weekday": "1", "start": "12:00", "end": "13:00"},
        422,
        "类型：不是有效选项",
    ),
    "bottleneck: not a boolean": (
        "provider",
        "/provider/orders/{o}/devices/{X}/bottleneck",
        {"bottleneck": "maybe"},
        302,
        "瓶颈设备：不是有效选项",
    ),
    "tailoring: note too long": (
        "provider",
        "/provider/orders/{o}/tailoring",
        {"subdomain": "x", "reason": "", "note": "长" * 1001},
        302,
        "裁剪说明：最多 1000 个字符",
    ),
    "attachment: no file": (
        "provider",
        "/provider/orders/{o}/attachments",
        {"requirement_id": "{r}"},
        302,
        "证据文件：为必填项",
    ),
    "report: unknown language": (
        "provider",
        "/orders/{o}/report/issue",
        {"lang": "fr"},
        302,
        "语言：不是有效选项",
    ),
    "flag review: unknown decision": (
        "bureau",
        "/bureau/supervision/flags/{f}/review",
        {"decision": "ignored", "note": "看过"},
        400,
        "复核结论：不是有效选项",
    ),
    "flag review: no reason": (
        "bureau",
        "/bureau/supervision/flags/{f}/review",
        {"decision": "dismissed", "note": "  "},
        400,
        "复核说明：为必填项",
    ),
    "outcome: unknown kind": (
        "bureau",
        "/bureau/supervision/outcomes",
        {"enterprise_id": "1", "kind": "bribe", "on_date": "2026-06-30", "source": "公示"},
        400,
        "成果类型：不是有效选项",
    ),
    "outcome: enterprise not a number": (
        "bureau",
        "/bureau/supervision/outcomes",
        {"enterprise_id": "x", "kind": "retrofit", "on_date": "2026-06-30", "source": "公示"},
        400,
        "企业：不是数字",
    ),
    "verify: hash too long": (
        "anon",
        "/verify",
        {"reference": "R-ZD2026-02-0001-v1", "digest": "f" * 65},
        400,
        "内容摘要：最多 64 个字符",
    ),
    "login: no password": ("anon", "/login", {"username": "ent1", "password": ""}, 400, "密码：为必填项"),
}


def _fill(text: str, world, external_id: str) -> str:  # type: ignore[no-untyped-def]
    """The placeholders filled in (plain replacement: a value may hold braces of its own)."""
    values = {
        "{o}": world.order_id,
        "{f}": world.flag_id,
        "{u}": world.user_ids["enterprise_other"],
        "{D}": world.device_id,
        "{X}": external_id,
        "{r}": world.requirement_id,
    }
    for key, value in values.items():
        text = text.replace(key, str(value))
    return text


def _external_id(engine: Engine, device_id: int) -> str:
    from diagnose.models import Device

    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None
        return device.external_id


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_value_is_refused_with_the_fields_message_and_changes_nothing(case: str, world, copy) -> None:  # type: ignore[no-untyped-def]
    role, path, form, status, message = BAD[case]
    app, engine = copy
    client = client_as(app, world, role)
    external_id = _external_id(engine, world.device_id)
    data = {k: _fill(v, world, external_id) for k, v in form.items()}
    before = snapshot(engine)
    response = client.post(_fill(path, world, external_id), data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert snapshot(engine) == before, "a refused form changed the database"
    page = client.get(response.headers["Location"]) if status == 302 else response
    assert message in unescaped(" ".join(flashed(page.get_data(as_text=True)))), page.get_data(as_text=True)


# The same forms with good values are stored: the snapshot sees a change, so the refusals above are real.
GOOD: dict[str, tuple[str, str, dict[str, str]]] = {
    "batch": ("bureau", "/bureau/batches", {"name": "第九批", "year": "2026", "budget_yuan": "100,000.50"}),
    "region": ("admin", "/admin/regions", {"code": "320499", "name": "新区", "level": "district"}),
    "calendar": (
        "provider",
        "/provider/orders/{o}/calendar",
        {"kind": "shift", "weekday": "1", "start": "00:30", "end": "05:00"},  # the demo works 06:00-24:00
    ),
    "outcome": (
        "bureau",
        "/bureau/supervision/outcomes",
        {"enterprise_id": "{e}", "kind": "retrofit", "on_date": "2026-06-30", "source": "公示"},
    ),
    "device": ("provider", "/provider/orders/{o}/devices", {"external_id": "NEW-9", "networked": "on"}),
}


@pytest.mark.parametrize("case", sorted(GOOD))
def test_the_same_forms_with_good_values_are_stored(case: str, world, copy) -> None:  # type: ignore[no-untyped-def]
    role, path, form = GOOD[case]
    app, engine = copy
    client = client_as(app, world, role)
    fill = {"{o}": str(world.order_id), "{e}": str(world.enterprise_id)}
    url, data = path, dict(form)
    for key, value in fill.items():
        url = url.replace(key, value)
        data = {k: v.replace(key, value) for k, v in data.items()}
    before = snapshot(engine)
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert snapshot(engine) != before


def test_a_batch_budget_typed_in_yuan_is_stored_in_fen(world, copy) -> None:  # type: ignore[no-untyped-def]
    from diagnose.models import ProcurementBatch

    app, engine = copy
    client_as(app, world, "bureau").post(
        "/bureau/batches", data={"name": "第十批", "year": "2026", "budget_yuan": "150,000.50"}
    )
    with Session(engine) as session:
        batch = session.exec(select(ProcurementBatch).where(ProcurementBatch.name == "第十批")).one()
    assert batch.budget_fen == 15_000_050


def test_a_refused_form_keeps_what_was_typed(world, copy) -> None:  # type: ignore[no-untyped-def]
    app, _engine = copy
    bureau = client_as(app, world, "bureau")
    outcome = {"enterprise_id": str(world.enterprise_id), "kind": "recognition", "on_date": "2026-13-01"}
    page = bureau.post(
        "/bureau/supervision/outcomes", data=outcome | {"source": "常工信〔2026〕3号", "detail": "省级"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "日期：不是有效日期" in unescaped(html)
    assert f'<option value="{world.enterprise_id}" selected>' in html
    assert '<option value="recognition" selected>' in html
    assert 'value="2026-13-01"' in html and 'value="常工信〔2026〕3号"' in html and ">省级</textarea>" in html
    provider = client_as(app, world, "provider")
    rule = {"kind": "break", "weekday": "3", "start": "12:00", "end": "25:61", "label": "午休"}
    page = provider.post(f"/provider/orders/{world.order_id}/calendar", data=rule)
    html = unescaped(page.get_data(as_text=True))
    assert page.status_code == 422
    assert '<option value="break" selected>' in html and '<option value="3" selected>' in html
    assert 'value="12:00"' in html and 'value="25:61"' in html and 'value="午休"' in html
    assert '<span class="field-error" role="alert">结束时间：不是有效时间（HH:MM）</span>' in html


def test_every_field_at_fault_is_named_and_english_pages_say_it_in_english(world, copy) -> None:  # type: ignore[no-untyped-def]
    app, _engine = copy
    client = client_as(app, world, "bureau")
    bad = {"name": "", "year": "next", "budget_yuan": "1.234"}
    (message,) = flashed(client.post("/bureau/batches", data=bad).get_data(as_text=True))
    assert message == "未保存：批次名称：为必填项；年度：不是数字；批次预算：最多保留两位小数"
    client.get("/bureau/batches?lang=en")
    (english,) = flashed(client.post("/bureau/batches", data=bad).get_data(as_text=True))
    assert (
        english
        == "Not saved: Name: is required; Year: is not a number; Budget: may have at most two decimals"
    )


def test_unknown_fields_are_refused_as_the_api_refuses_them(world, copy) -> None:  # type: ignore[no-untyped-def]
    app, engine = copy
    before = snapshot(engine)
    page = client_as(app, world, "bureau").post(
        "/bureau/batches", data={"name": "第九批", "year": "2026", "budget_yuan": "1", "owner": "me"}
    )
    assert page.status_code == 422 and flashed(page.get_data(as_text=True)) == [
        "未保存：owner：不是本表单的字段"
    ]
    assert snapshot(engine) == before


def test_csrf_is_still_checked_before_the_form(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, path)
    engine = make_engine(url=f"sqlite:///{path}")
    app = create_app(world.settings(path), {"TESTING": True, "RATELIMIT_ENABLED": False})
    client = client_as(app, world, "bureau")
    good = {"name": "第九批", "year": "2026", "budget_yuan": "1000"}
    before = snapshot(engine)
    assert client.post("/bureau/batches", data=good).status_code == 400  # no token
    assert snapshot(engine) == before
    token = csrf_from(client.get("/bureau/batches").get_data(as_text=True))
    assert client.post("/bureau/batches", data=good | {"csrf_token": token}).status_code == 302
    assert snapshot(engine) != before
    engine.dispose()


# (role, API call, JSON body, model, form, page, page status): the API and the page refusing the same value.
SHARED: dict[str, tuple[str, str, dict[str, Any], type, dict[str, str], str, int]] = {
    "batch year": (
        "bureau",
        "/api/v1/batches",
        {"name": "第九批", "year": 1999, "budget_fen": 100},
        BatchForm,
        {"name": "第九批", "year": "1999", "budget_yuan": "1"},
        "/bureau/batches",
        422,
    ),
    "order kind": (
        "bureau",
        "/api/v1/orders",
        {"batch_id": 1, "enterprise_id": 1, "kind": "city", "fee_fen": 100},
        OrderForm,
        {"batch_id": "1", "enterprise_id": "1", "kind": "city", "fee_yuan": "1"},
        "/bureau/orders/new",
        422,
    ),
    "order due date": (
        "bureau",
        "/api/v1/orders",
        {"batch_id": 1, "enterprise_id": 1, "kind": "factory", "fee_fen": 100, "due_date": "31.12.2026"},
        OrderForm,
        {"batch_id": "1", "enterprise_id": "1", "kind": "factory", "fee_yuan": "1", "due_date": "31.12.2026"},
        "/bureau/orders/new",
        422,
    ),
    "enterprise check character": (
        "admin",
        "/api/v1/enterprises",
        {"uscc": "91320412MA1XXXXXXX", "name": "新企业", "region_code": "320412", "industry_code": "C34"},
        EnterpriseCreate,
        {"uscc": "91320412MA1XXXXXXX", "name": "新企业", "region_code": "320412", "industry_code": "C34"},
        "/admin/organisations/enterprises",
        422,
    ),
    "enterprise industry code": (
        "admin",
        "/api/v1/enterprises",
        {"uscc": factories.uscc(), "name": "新企业", "region_code": "320412", "industry_code": "Z"},
        EnterpriseCreate,
        {"uscc": factories.uscc(), "name": "新企业", "region_code": "320412", "industry_code": "Z"},
        "/admin/organisations/enterprises",
        422,
    ),
    "provider region": (
        "admin",
        "/api/v1/providers",
        {"uscc": factories.uscc(), "name": "新服务商", "region_code": "3204"},
        ProviderCreate,
        {"uscc": factories.uscc(), "name": "新服务商", "region_code": "3204"},
        "/admin/organisations/providers",
        422,
    ),
    "device id": (
        "provider",
        "/api/v1/orders/{o}/devices",
        {"external_id": "a b"},
        DeviceCreate,
        {"external_id": "a b"},
        "/provider/orders/{o}/devices",
        302,
    ),
    "visit date": (
        "provider",
        "/api/v1/orders/{o}/actions/schedule",
        {"visit_date": "31.12.2026"},
        ActionIn,
        {"visit_date": "31.12.2026"},
        "/orders/{o}/schedule",
        302,
    ),
    "rating": (
        "enterprise",
        "/api/v1/orders/{o}/actions/rate",
        {"rating": 9},
        ActionIn,
        {"rating": "9"},
        "/orders/{o}/rate",
        302,
    ),
    "report language": (
        "provider",
        "/api/v1/orders/{o}/reports",
        {"lang": "fr"},
        ReportIssueIn,
        {"lang": "fr"},
        "/orders/{o}/report/issue",
        302,
    ),
}


@pytest.mark.parametrize("case", sorted(SHARED))
def test_the_api_and_the_form_refuse_the_same_value_with_the_same_message(case: str, world, copy) -> None:  # type: ignore[no-untyped-def]
    role, api_path, body, model, form, page_path, status = SHARED[case]
    app, engine = copy
    before = snapshot(engine)
    api = app.test_client().post(
        api_path.replace("{o}", str(world.order_id)),
        json=body,
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
    )
    assert api.status_code == 422, api.get_json()
    answer = api.get_json()
    with app.test_request_context(), pytest.raises(FormError) as refused:
        parse_form(model, MultiDict(form), MultiDict())
    assert [(e.field, e.message) for e in refused.value.errors] == [
        (e["field"], e["message"]) for e in answer["errors"]
    ]
    assert (refused.value.field, refused.value.message) == (answer["field"], answer["message"])
    client = client_as(app, world, role)
    response = client.post(page_path.replace("{o}", str(world.order_id)), data=form)
    assert response.status_code == status
    page = client.get(response.headers["Location"]) if status == 302 else response
    (shown,) = refused.value.shown[:1]
    assert shown.message in unescaped(" ".join(flashed(page.get_data(as_text=True))))
    assert snapshot(engine) == before


def test_the_helper_reads_a_form_as_a_form_means_it(world, copy) -> None:  # type: ignore[no-untyped-def]
    app, _engine = copy
    with app.test_request_context():
        order = parse_form(
            OrderForm,
            MultiDict({"csrf_token": "t", "batch_id": " 3 ", "enterprise_id": "4", "kind": "factory"})
            | MultiDict({"fee_yuan": "150,000.50", "due_date": ""}),
            MultiDict(),
        )
        assert (order.batch_id, order.due_date, order.create().fee_fen) == (3, None, 15_000_050)
        with pytest.raises(FormError) as missing:
            parse_form(OrderForm, MultiDict({"batch_id": "", "enterprise_id": "4", "kind": "factory"}), None)
        assert [e.field for e in missing.value.errors] == ["batch_id", "fee_yuan"]
        assert [e.message for e in missing.value.shown] == ["采购批次：为必填项", "诊断服务费：为必填项"]
        unticked = parse_form(DeviceCreate, MultiDict({"external_id": "M1"}), None)
        ticked = parse_form(DeviceCreate, MultiDict({"external_id": "M1", "networked": "on"}), None)
        assert (unticked.networked, ticked.networked) == (False, True)
        chosen = parse_form(
            DeadLetterReplay, MultiDict([("letter_id", "7"), ("letter_id", ""), ("letter_id", "9")])
        )
        assert (chosen.all, chosen.letter_id) == (False, [7, 9])
        login = parse_form(LoginForm, MultiDict({"username": " ent1 ", "password": " pass word "}), None)
        assert (login.username, login.password) == ("ent1", " pass word ")
        with pytest.raises(FormError) as differs:
            parse_form(
                PasswordChange,
                MultiDict({"current_password": "a", "new_password": "b", "new_password_again": "b "}),
                None,
            )
        assert differs.value.field == "new_password_again"
        upload = FileStorage(io.BytesIO(b"%PDF-1.4"), filename="点检.pdf", content_type="application/pdf")
        attached = parse_form(
            AttachmentForm, MultiDict({"requirement_id": "NW-L2-01"}), MultiDict({"file": upload})
        )
        assert (attached.file.filename, attached.file.content_type, attached.file.data) == (
            "点检.pdf",
            "application/pdf",
            b"%PDF-1.4",
        )
        with pytest.raises(FormError) as no_file:
            parse_form(AttachmentForm, MultiDict({"requirement_id": "NW-L2-01"}), MultiDict())
        assert no_file.value.shown[0].message == "证据文件：为必填项"
        stray = FileStorage(io.BytesIO(b"x"), filename="x.txt")
        with pytest.raises(FormError) as unknown:
            parse_form(DeadLetterReplay, MultiDict({"all": "1"}), MultiDict({"attachment": stray}))
        assert unknown.value.errors[0].field == "attachment"


def test_no_page_reads_the_form_by_hand() -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "web").rglob("*.py"))
        if path.name != "forms.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "request.form" in line
    ]
    assert readers == []


# On every configured backend (SQLite, and PostgreSQL when DIAGNOSE_TEST_POSTGRES_URL is set), with CSRF on.
BACKEND_CASES: dict[str, tuple[str, str, dict[str, str], int, str]] = {
    "user": (
        "admin",
        "/admin/users",
        {"username": "neu", "full_name": "新", "password": "Long-enough-9", "role": "enterprise"}
        | {"organisation_id": "enterprise:abc"},
        422,
        "所属单位：不是有效选项",
    ),
    "enterprise": (
        "admin",
        "/admin/organisations/enterprises",
        {"name": "新企业", "uscc": "9132041", "region_code": "320412", "industry_code": "C34"},
        422,
        "统一社会信用代码：至少 18 个字符",
    ),
    "region": ("admin", "/admin/regions", {"code": "32041", "name": "新区"}, 422, "行政区划代码：须为 6 位"),
    "token": ("ent1", "/account/token", {"scope": "read", "ttl_days": "367"}, 422, "有效天数：不能大于 366"),
    "password": (
        "ent1",
        "/account/password",
        {"current_password": "", "new_password": "New-secret-99", "new_password_again": "New-secret-99"},
        400,
        "当前密码：为必填项",
    ),
}


@pytest.mark.parametrize("case", sorted(BACKEND_CASES))
def test_refused_forms_change_nothing_on_every_backend(case: str, app: Flask, login, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    username, path, form, status, message = BACKEND_CASES[case]
    client = login(username)
    token = csrf_from(client.get(path).get_data(as_text=True))
    before = snapshot(engine)
    response = client.post(path, data=form | {"csrf_token": token})
    assert response.status_code == status
    assert message in unescaped(" ".join(flashed(response.get_data(as_text=True))))
    assert snapshot(engine) == before


def test_an_empty_login_form_is_refused_before_any_attempt_is_counted(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    before = snapshot(engine)
    refused = client.post("/login", data={"username": "ent1", "password": "", "csrf_token": token})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "密码：为必填项" in unescaped(html) and 'value="ent1"' in html
    assert snapshot(engine) == before  # no failed attempt recorded, no lockout counted
    wrong = client.post("/login", data={"username": "ent1", "password": "not-it", "csrf_token": token})
    assert wrong.status_code == 401 and snapshot(engine) != before
