"""Imports through the web and the API are capped before parsing, and refused in Chinese, never with a 500."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.diagnose.test_import_bombs import _dimension_bomb
from tests.web.conftest import client_as
from tests.web.test_matrix import TEST_CONFIG
from web import create_app

MIB = 1024 * 1024


def _app(world, tmp_path: Path, **settings: object) -> Flask:  # type: ignore[no-untyped-def]
    copy = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, copy)
    return create_app(world.settings(copy).model_copy(update=settings), TEST_CONFIG)


def _import(app: Flask, world, name: str, data: bytes):  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    # Encoded here, in memory: werkzeug's test client spools a body over 500 kB to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name)})
    return client.post(
        f"/provider/orders/{world.order_id}/ledger/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_ledger_file_over_the_import_cap_is_refused_in_chinese(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = _app(world, tmp_path, import_max_bytes=MIB)
    big = b"code,name\n" + b"E1,x\n" * 300_000  # 1.5 MB
    response = _import(app, world, "ledger.csv", big)
    assert response.status_code == 422
    assert "文件超过 1 MB，超出单次导入上限" in response.get_data(as_text=True)


def test_a_body_over_the_upload_cap_is_refused_before_it_is_read(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = _app(world, tmp_path, upload_max_bytes=MIB)
    response = _import(app, world, "ledger.csv", b"code,name\n" + b"E1,x\n" * 300_000)
    assert response.status_code == 413


def test_the_dimension_bomb_dry_run_lists_the_rows_that_are_there(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    response = _import(_app(world, tmp_path), world, "台账.xlsx", _dimension_bomb())
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422), html[:300]
    assert "EQ-0000" in html and "EQ-0001" in html


def test_a_row_too_wide_is_named_in_chinese(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    response = _import(_app(world, tmp_path), world, "ledger.csv", b"code,name\n" + b"a," * 60 + b"\n")
    assert response.status_code == 422
    assert "第 2 行超过 50 列" in response.get_data(as_text=True)


def test_a_policy_file_nested_too_deep_is_refused(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = client_as(_app(world, tmp_path), world, "bureau")
    response = client.post(
        "/policies/import",
        data={
            "policy_file": (io.BytesIO(b"[" * 100_000), "p.json"),
            "source_file": (io.BytesIO("原文".encode()), "s.txt"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "nested too deep" in response.get_data(as_text=True) or "嵌套" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"[" * 100_000, 400), (b'{"devices": [' + b'{"external_id": "D1"},' * 120_000 + b"{}]}", 413)],
)
def test_json_api_bodies_are_capped_and_deep_nesting_refused(
    world, tmp_path: Path, body: bytes, status: int
) -> None:  # type: ignore[no-untyped-def]
    app = _app(world, tmp_path)
    response = app.test_client().post(
        f"/api/v1/orders/{world.order_id}/devices/import",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['provider']}"},
    )
    assert response.status_code == status
    assert response.get_json()["error"]
