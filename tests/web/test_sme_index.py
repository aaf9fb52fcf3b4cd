"""Corrected versions of the SME digital-level index (issue #26 point 1): a bureau uploads one (validated, diffed,
stored as a draft), publishes it, and new ratings use it; refusals store nothing; other roles are kept out."""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from diagnose.models import AuditLog, DiagnosisOrder, SmeIndexVersion, SmeResult, User
from diagnose.services.diagnosis import sme, sme_index
from scoring.sme import load_index
from tests.web.conftest import client_as
from tests.web.world import db_of

NOTE = "工信厅企业〔2024〕56号 正式文件附件 制造业评测表"


@pytest.fixture
def app(world_app: Flask) -> Flask:
    return world_app


def packaged() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        resources.files("scoring.sme.data").joinpath("index.json").read_text(encoding="utf-8")
    )
    return raw


def corrected(version: str = "sme-dl-2024.p2", level2_score: str = "45") -> dict[str, Any]:
    """The packaged index with a new version and 二级 asking 45 points instead of 40."""
    raw = packaged()
    raw["version"] = version
    raw["level_rule"]["levels"][1]["min_score"] = level2_score
    return raw


def post_index(client: FlaskClient, data: bytes, note: str = NOTE) -> Any:
    return client.post(
        "/bureau/sme-index/upload",
        data={"file": (io.BytesIO(data), "index.json"), "note": note},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def as_bytes(raw: dict[str, Any]) -> bytes:
    return json.dumps(raw, ensure_ascii=False).encode("utf-8")


def stored(app: Flask) -> tuple[int, int]:
    """(index versions stored, sme_index audit rows)."""
    with db_of(app) as db:
        rows = len(db.exec(select(SmeIndexVersion)).all())
        audits = len(db.exec(select(AuditLog).where(col(AuditLog.action).startswith("sme_index."))).all())
    return rows, audits


def test_the_bureau_sees_the_index_in_force_with_its_notice_and_the_levels_page_links_it(
    app: Flask, world
) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    levels = client.get("/bureau/sme-levels").get_data(as_text=True)
    assert 'id="sme-index-link" href="/bureau/sme-index/"' in levels
    page = client.get("/bureau/sme-index/").get_data(as_text=True)
    assert '<strong id="sme-index-version">sme-dl-2024.p1</strong>' in page
    assert "工信厅企业〔2024〕56号" in page and "以正式文件为准" in page
    assert "data sheet" not in page and ".md" not in page  # the citation, not the maintainers' note
    assert 'action="/bureau/sme-index/upload"' in page and 'name="note"' in page
    # The admin reads it, without the form.
    admin = client_as(app, world, "admin").get("/bureau/sme-index/").get_data(as_text=True)
    assert "sme-dl-2024.p1" in admin and 'action="/bureau/sme-index/upload"' not in admin


def test_a_valid_corrected_version_is_stored_as_a_draft_with_its_diff(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    page = post_index(client, as_bytes(corrected())).get_data(as_text=True)
    assert "sme-dl-2024.p2" in page and "草稿已保存" in page
    assert "定级规则·二级·总分下限：40 → 45" in page  # one Chinese line per change, in words
    assert "sme-dl-2024.p1 → sme-dl-2024.p2" in page and 'id="sme-index-publish"' in page
    with db_of(app) as db:
        row = db.exec(select(SmeIndexVersion)).one()
        assert (row.version, row.status, row.note) == ("sme-dl-2024.p2", "draft", NOTE)
        assert row.uploaded_by == world.user_ids["bureau"] and row.published_at is None
        assert len(row.sha256) == 64
        assert sme_index.in_force(db).version == "sme-dl-2024.p1"  # a draft is not in force
        audit = db.exec(select(AuditLog).where(AuditLog.action == "sme_index.upload")).one()
        assert audit.detail["version"] == "sme-dl-2024.p2" and audit.detail["note"] == NOTE
    listing = client.get("/bureau/sme-index/").get_data(as_text=True)
    assert 'data-version="sme-dl-2024.p2"' in listing and "草稿" in listing


def _not_json() -> bytes:
    return b'{"version": "sme-dl-2024.p2", '


def _points_do_not_add_up() -> bytes:
    raw = corrected()
    raw["dimensions"][0]["points"] = "55"
    return as_bytes(raw)


def _same_version_other_data() -> bytes:
    return as_bytes(corrected(version="sme-dl-2024.p1"))


def _the_packaged_index_again() -> bytes:
    return as_bytes(packaged())


def _too_large() -> bytes:
    return as_bytes(corrected()) + b" " * sme_index.MAX_INDEX_BYTES


def _version_too_long() -> bytes:
    return as_bytes(corrected(version="v" * 33))


def _nested_too_deep() -> bytes:
    return b"[" * 200_000 + b"]" * 200_000  # under the size cap, past the parser's recursion limit


def _not_utf8() -> bytes:
    return as_bytes(corrected()).replace("二级".encode(), "二级".encode("gb18030"))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_not_json, "JSON"),
        (_points_do_not_add_up, "未通过校验"),
        (_same_version_other_data, "sme-dl-2024.p1"),
        (_the_packaged_index_again, "新的版本号"),
        (_too_large, "0.5"),
        (_version_too_long, "32"),
        (_nested_too_deep, "JSON"),
        (_not_utf8, "UTF-8"),
    ],
    ids=[
        "bad-json",
        "fails-validation",
        "same-version-changed",
        "same-version-same-data",
        "too-large",
        "long",
        "nested-too-deep",
        "not-utf8",
    ],
)
def test_a_bad_upload_is_refused_in_chinese_and_stores_nothing(app: Flask, world, make, says: str) -> None:  # type: ignore[no-untyped-def]
    before = stored(app)
    page = post_index(client_as(app, world, "bureau"), make()).get_data(as_text=True)
    assert "未保存" in page and says in page, page[page.find("flash") : page.find("flash") + 400]
    assert stored(app) == before


def test_a_version_already_loaded_is_refused(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    post_index(client, as_bytes(corrected()))
    before = stored(app)
    page = post_index(client, as_bytes(corrected(level2_score="50"))).get_data(as_text=True)
    assert "未保存" in page and "sme-dl-2024.p2" in page and "新的版本号" in page
    assert stored(app) == before


def test_a_version_and_note_in_any_script_are_kept_and_shown_escaped(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    version, note = "p2-<b>改</b>-ß😀", "依据《通知》<script>alert(1)</script> & 附件"
    client = client_as(app, world, "bureau")
    page = post_index(client, as_bytes(corrected(version=version)), note=note).get_data(as_text=True)
    assert "草稿已保存" in page and "<script>alert(1)</script>" not in page and "<b>改</b>" not in page
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 附件" in page and "p2-&lt;b&gt;改&lt;/b&gt;-ß😀" in page
    )
    with db_of(app) as db:
        row = db.exec(select(SmeIndexVersion)).one()
        assert (row.version, row.note) == (version, note)


def test_no_file_is_refused(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    answer = client_as(app, world, "bureau").post(
        "/bureau/sme-index/upload", data={"note": NOTE}, follow_redirects=True
    )
    assert "未保存" in answer.get_data(as_text=True) and stored(app) == (0, 0)


@pytest.mark.parametrize("role", ["provider", "enterprise", "admin"])
def test_other_roles_cannot_load_or_publish(app: Flask, world, role: str) -> None:  # type: ignore[no-untyped-def]
    post_index(client_as(app, world, "bureau"), as_bytes(corrected()))
    with db_of(app) as db:
        draft = db.exec(select(SmeIndexVersion)).one()
    client = client_as(app, world, role)
    assert post_index(client, as_bytes(corrected(version="sme-dl-2024.p3"))).status_code == 403
    assert client.post(f"/bureau/sme-index/{draft.id}/publish").status_code == 403
    reading = 200 if role == "admin" else 403
    assert client.get("/bureau/sme-index/").status_code == reading
    assert client.get(f"/bureau/sme-index/{draft.id}").status_code == reading
    with db_of(app) as db:
        assert db.get(SmeIndexVersion, draft.id).status == "draft"  # type: ignore[union-attr]
        assert len(db.exec(select(SmeIndexVersion)).all()) == 1


def test_the_service_refuses_a_non_bureau_actor(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    from diagnose.schemas.errors import FieldError

    with db_of(app) as db:
        provider = db.get(User, world.user_ids["provider"])
        with pytest.raises(FieldError) as refused:
            sme_index.upload(session=db, actor=provider, raw_bytes=as_bytes(corrected()))  # type: ignore[arg-type]
        assert refused.value.code == "forbidden"


def test_publishing_puts_it_in_force_and_new_ratings_store_its_version(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    post_index(client, as_bytes(corrected()))
    with db_of(app) as db:
        draft = db.exec(select(SmeIndexVersion)).one()
        earlier = sme.latest(session=db, order=db.get(DiagnosisOrder, world.order_id))  # type: ignore[arg-type]
    assert earlier is not None and earlier.index_version == "sme-dl-2024.p1"
    page = client.post(f"/bureau/sme-index/{draft.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert '<strong id="sme-index-version">sme-dl-2024.p2</strong>' in page and NOTE in page
    with db_of(app) as db:
        assert sme_index.in_force(db).version == "sme-dl-2024.p2"
        assert sme_index.in_force(db).level_rule.levels[1].min_score == 45
        row = db.get(SmeIndexVersion, draft.id)
        assert row is not None and row.status == "published"
        assert row.published_by == world.user_ids["bureau"] and row.published_at is not None
        audit = db.exec(select(AuditLog).where(AuditLog.action == "sme_index.publish")).one()
        assert audit.detail == {"version": "sme-dl-2024.p2", "from": "sme-dl-2024.p1"}
    # A new rating of the order uses the published version; the earlier one keeps its own.
    rated = client_as(app, world, "provider").post(f"/provider/orders/{world.order_id}/sme/score")
    assert rated.status_code == 302
    with db_of(app) as db:
        newest = sme.latest(session=db, order=db.get(DiagnosisOrder, world.order_id))  # type: ignore[arg-type]
        assert newest is not None and newest.id != earlier.id
        assert newest.index_version == "sme-dl-2024.p2"
        assert db.get(SmeResult, earlier.id).index_version == "sme-dl-2024.p1"  # type: ignore[union-attr]
        assert float(newest.total) == float(earlier.total)  # only the level rule changed
    api = client_as(app, world, "provider").get(
        f"/api/v1/orders/{world.order_id}/sme/answers",
        headers={"Authorization": f"Bearer {world.tokens['provider']}"},
    )
    assert api.get_json()["index_version"] == "sme-dl-2024.p2"
    # The audit log reads both in words.
    log = client_as(app, world, "bureau").get("/bureau/audit-log").get_data(as_text=True)
    assert "sme-dl-2024.p2" in log


def test_a_published_version_cannot_be_published_again_and_a_newer_one_supersedes_it(
    app: Flask, world
) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    post_index(client, as_bytes(corrected()))
    with db_of(app) as db:
        first = db.exec(select(SmeIndexVersion)).one()
    client.post(f"/bureau/sme-index/{first.id}/publish")
    again = client.post(f"/bureau/sme-index/{first.id}/publish", follow_redirects=True)
    assert "未保存" in again.get_data(as_text=True) and "已发布" in again.get_data(as_text=True)
    assert stored(app) == (1, 2)
    # The next correction is diffed against the published one, and supersedes it once published.
    shown = post_index(
        client_as(app, world, "bureau_other"), as_bytes(corrected("sme-dl-2024.p3", "50"))
    ).get_data(as_text=True)
    assert "定级规则·二级·总分下限：45 → 50" in shown
    with db_of(app) as db:
        second = db.exec(select(SmeIndexVersion).where(SmeIndexVersion.version == "sme-dl-2024.p3")).one()
    client.post(f"/bureau/sme-index/{second.id}/publish")
    with db_of(app) as db:
        assert sme_index.in_force(db).version == "sme-dl-2024.p3"
        standing = {row.version: s for row, s in sme_index.history(session=db)}
        assert standing == {"sme-dl-2024.p3": "in_force", "sme-dl-2024.p2": "superseded"}
        # A rating names its version: the one it was made on reads in that version's words.
        assert sme_index.index_of_rating(session=db, version="sme-dl-2024.p2").version == "sme-dl-2024.p2"
        assert sme_index.index_of_rating(session=db, version="sme-dl-2024.p1") is load_index()


def test_an_unknown_version_is_not_found(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    assert client.get("/bureau/sme-index/999").status_code == 404
    assert client.post("/bureau/sme-index/999/publish").status_code == 404
