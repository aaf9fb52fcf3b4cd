"""The audit log is tamper-evident against whoever can write the database (issue #20): the database refuses
rewrites through the application's paths, and `diagnose audit-log verify` detects, on both backends, each
attack the app's own database role can make with raw SQL once it drops the triggers."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from apps.cli.audit import audit_log_group
from diagnose.models import AuditLog
from diagnose.services.audit import audit_checkpoints, audit_log, audit_verify
from diagnose.settings import DEVELOPMENT_AUDIT_KEY, Settings


def _rows(engine: Engine, n: int = 3) -> None:
    with Session(engine) as session:
        for i in range(n):
            audit_log.record(
                session=session, actor="t", action="x.test", entity="thing", entity_id=i, detail={"n": i}
            )
        session.commit()


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    group = click.Group("diagnose")
    group.add_command(audit_log_group)
    result = CliRunner().invoke(group, ["audit-log", *args], obj=settings)
    return result.exit_code, result.output


def _checkpoint(settings: Settings) -> dict[str, object]:
    code, output = _cli(settings, "checkpoint")
    assert code == 0, output
    lines = settings.effective_audit_checkpoint_file.read_text().splitlines()
    return dict(json.loads(lines[-1]))


def _drop_guards(connection: Connection) -> None:
    """What an insider holding the application's database role does first: drop the append-only triggers and
    the hash constraint (the role owns the table, so it may)."""
    if connection.dialect.name == "sqlite":
        for trigger in (
            "auditlog_no_update",
            "auditlog_no_delete",
            "auditlog_no_replace",
            "auditlog_no_backdate",
            "auditlog_hash_required",
        ):
            connection.execute(text(f"DROP TRIGGER {trigger}"))
    else:
        connection.execute(text("DROP TRIGGER auditlog_no_change ON auditlog"))
        connection.execute(text("DROP TRIGGER auditlog_no_backdate ON auditlog"))
        connection.execute(text("ALTER TABLE auditlog DROP CONSTRAINT ck_auditlog_hash_after_boundary"))


def _verify(settings: Settings, *expect: str) -> tuple[int, str]:
    return _cli(settings, "verify", *[f"--expect={e}" for e in expect])


def test_an_untouched_chain_verifies(engine: Engine, db_settings: Settings) -> None:
    _rows(engine, 5)
    checkpoint = _checkpoint(db_settings)
    assert checkpoint["rows"] == 5
    _rows(engine, 2)  # rows after the last checkpoint are fine
    code, output = _verify(db_settings, f"5:{str(checkpoint['head'])[:20]}")
    assert code == 0, output
    assert output.startswith("audit log intact: 7 rows; head: record no. 7")
    assert "2 checkpoints and printed values" in output


def test_new_rows_carry_a_keyed_mac_and_the_database_requires_one(engine: Engine) -> None:
    _rows(engine, 2)
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        assert rows[1].row_hash == audit_log.row_mac(DEVELOPMENT_AUDIT_KEY, rows[0].row_hash or "", rows[1])
        assert rows[1].row_hash != audit_log.row_digest(rows[0].row_hash or "", rows[1])  # not a bare SHA-256
    with engine.begin() as connection, pytest.raises(Exception, match="hash"):
        connection.execute(
            text(
                "INSERT INTO auditlog (at, actor, action, entity, entity_id) "
                "SELECT at, 'mallory', 'x', 'y', '1' FROM auditlog ORDER BY id DESC LIMIT 1"
            )
        )


def test_attack_a_every_hash_nulled_and_a_row_edited(engine: Engine, db_settings: Settings) -> None:
    _rows(engine, 6)
    with engine.begin() as connection:
        _drop_guards(connection)
        connection.execute(text("UPDATE auditlog SET row_hash = NULL"))
        connection.execute(text("UPDATE auditlog SET actor = 'mallory' WHERE id = 3"))
    code, output = _verify(db_settings)
    assert code == 1
    assert "audit row 1 (record no. 1): no MAC, though every row after the legacy boundary (row 0)" in output
    assert "audit row 6 (record no. 6): no MAC" in output


def test_attack_b_trigger_dropped_and_the_last_20_rows_deleted(engine: Engine, db_settings: Settings) -> None:
    _rows(engine, 30)
    checkpoint = _checkpoint(db_settings)
    with engine.begin() as connection:
        _drop_guards(connection)
        connection.execute(
            text("DELETE FROM auditlog WHERE id IN (SELECT id FROM auditlog ORDER BY id DESC LIMIT 20)")
        )
    with Session(engine) as session:  # the rows left are a valid chain: only the checkpoint can tell
        report = audit_verify.verify(session=session, key=DEVELOPMENT_AUDIT_KEY)
        assert report.intact and report.rows == 10
    code, output = _verify(db_settings)
    assert code == 1
    assert (
        f"truncated: it recorded 30 rows, the last one row {checkpoint['last_id']}; the log now has 10"
        in output
    )
    # A report's printed value (审计记录第 N 条) tells the same from paper, without the checkpoint file.
    db_settings.effective_audit_checkpoint_file.unlink()
    code, output = _verify(db_settings, f"30:{checkpoint['head']}")
    assert code == 1 and "expected value 30:" in output and "truncated" in output


def test_attack_c_a_forged_row_appended_with_its_sha256_recomputed(
    engine: Engine, db_settings: Settings
) -> None:
    _rows(engine, 4)
    with Session(engine) as session:
        last = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
        assert last is not None and last.row_hash is not None
        forged = AuditLog(at=last.at, actor="admin", action="user.role", entity="user", entity_id="7")
        forged_hash = audit_log.row_digest(last.row_hash, forged)  # what the old chain's verify accepted
    with engine.begin() as connection:  # the insert trigger does not stop a row that carries a hash
        connection.execute(
            text(
                "INSERT INTO auditlog (at, actor, action, entity, entity_id, row_hash) "
                "SELECT at, 'admin', 'user.role', 'user', '7', :h FROM auditlog WHERE id = :last"
            ),
            {"last": last.id, "h": forged_hash},
        )
    code, output = _verify(db_settings)
    assert code == 1
    assert (
        "audit row 5: its MAC does not match the row and the previous row: edited, forged, or re-chained"
        in output
    )


def test_attack_d_a_row_rewritten_and_the_chain_recomputed_from_there(
    engine: Engine, db_settings: Settings
) -> None:
    _rows(engine, 8)
    with engine.begin() as connection:
        _drop_guards(connection)
        connection.execute(text("UPDATE auditlog SET actor = 'mallory' WHERE id = 4"))
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        recomputed, previous = {}, rows[2].row_hash or audit_log.GENESIS
        for row in rows[3:]:
            previous = recomputed[row.id] = audit_log.row_digest(previous, row)  # without the key: SHA-256
    with engine.begin() as connection:
        for row_id, value in recomputed.items():
            connection.execute(
                text("UPDATE auditlog SET row_hash = :v WHERE id = :i"), {"v": value, "i": row_id}
            )
    code, output = _verify(db_settings)
    assert code == 1
    assert "audit row 4: its MAC does not match" in output
    assert "4 later rows do not match either (5, 6, 7, 8)" in output


def test_a_rewrite_with_the_key_itself_is_caught_by_the_checkpoint(
    engine: Engine, db_settings: Settings
) -> None:
    """Even an insider who has the key too cannot rewrite what a checkpoint outside the database recorded."""
    _rows(engine, 5)
    _checkpoint(db_settings)
    key = db_settings.effective_audit_key()
    with engine.begin() as connection:
        _drop_guards(connection)
        connection.execute(text("UPDATE auditlog SET actor = 'mallory' WHERE id = 2"))
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        previous, values = rows[0].row_hash or audit_log.GENESIS, {}
        for row in rows[1:]:
            previous = values[row.id] = audit_log.row_mac(key, previous, row)
    with engine.begin() as connection:
        for row_id, value in values.items():
            connection.execute(
                text("UPDATE auditlog SET row_hash = :v WHERE id = :i"), {"v": value, "i": row_id}
            )
    code, output = _verify(db_settings)
    assert code == 1
    assert "audit row 5 (record no. 5): differs from checkpoint of" in output
    assert "the log was rewritten at or before this row" in output


def test_moving_the_legacy_boundary_is_seen(engine: Engine, db_settings: Settings) -> None:
    _rows(engine, 3)
    _checkpoint(db_settings)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER auditchainboundary_no_update"))
        else:
            connection.execute(text("DROP TRIGGER auditchainboundary_no_change ON auditchainboundary"))
        connection.execute(text("UPDATE auditchainboundary SET legacy_last_id = 3"))
    code, output = _verify(db_settings)
    assert code == 1
    assert "the legacy boundary it recorded (row 0) differs from the database's (row 3)" in output


def test_forged_or_foreign_checkpoint_lines_are_problems(engine: Engine, db_settings: Settings) -> None:
    _rows(engine, 2)
    checkpoint = _checkpoint(db_settings)
    path = db_settings.effective_audit_checkpoint_file
    forged = dict(checkpoint, rows=1)  # edited without the key: its signature no longer matches
    with path.open("a") as handle:
        handle.write(json.dumps(forged) + "\nnot json\n")
    code, output = _verify(db_settings)
    assert code == 1
    assert "line 2: its signature does not match (forged or edited)" in output
    assert "line 3: not a checkpoint" in output


def test_checkpoint_skips_an_unmoved_head_and_is_signed(
    engine: Engine, db_settings: Settings, tmp_path: Path
) -> None:
    _rows(engine, 2)
    key = db_settings.effective_audit_key()
    path = tmp_path / "cp.jsonl"
    with Session(engine) as session:
        first, written = audit_checkpoints.append(session=session, key=key, path=path)
        again, written_again = audit_checkpoints.append(session=session, key=key, path=path)
    assert written and not written_again and again == first
    [line] = audit_checkpoints.read(path, key)
    assert line.problem == "" and line.checkpoint == first
    assert audit_checkpoints.read(path, b"another key of thirty-two bytes!!")[0].problem.startswith(
        "written with"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditlog SET actor = 'mallory' WHERE id = 1",
        "DELETE FROM auditlog WHERE id = 1",
        "INSERT INTO auditlog (at, actor, action, entity, entity_id, row_hash) "
        "VALUES ('2001-01-01 00:00:00', 'mallory', 'x', 'y', '1', 'z')",  # back-dated
        "UPDATE auditchainboundary SET legacy_last_id = 99",
        "DELETE FROM auditchainboundary",
    ],
)
def test_database_refuses_rewrites(engine: Engine, statement: str) -> None:
    _rows(engine)
    with engine.begin() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text(statement))


def test_a_replacing_insert_is_refused(engine: Engine) -> None:
    _rows(engine)
    if engine.dialect.name == "sqlite":
        statement = (
            "INSERT OR REPLACE INTO auditlog (id, at, actor, action, entity, entity_id, row_hash) "
            "SELECT id, at, 'mallory', action, entity, entity_id, row_hash FROM auditlog WHERE id = 1"
        )
    else:
        statement = (
            "INSERT INTO auditlog (id, at, actor, action, entity, entity_id, row_hash) "
            "SELECT id, now(), 'mallory', action, entity, entity_id, row_hash FROM auditlog WHERE id = 1 "
            "ON CONFLICT (id) DO UPDATE SET actor = EXCLUDED.actor"
        )
    with engine.begin() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text(statement))
    with Session(engine) as session:
        assert audit_verify.verify(session=session, key=DEVELOPMENT_AUDIT_KEY).intact


def test_production_refuses_the_development_audit_key(tmp_path: Path) -> None:
    from diagnose.settings import load_settings

    with pytest.raises(ValueError, match="DIAGNOSE_AUDIT_KEY"):
        load_settings(env="production", var_dir=tmp_path, secret_key="s" * 40)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        load_settings(audit_key="short")
    key_file = tmp_path / "audit.key"
    key_file.write_text("k" * 40 + "\n")
    settings = load_settings(env="production", var_dir=tmp_path, secret_key="s" * 40, audit_key_file=key_file)
    assert settings.effective_audit_key() == b"k" * 40


def test_the_jobs_checkpoint_when_the_head_moved(engine: Engine, db_settings: Settings) -> None:
    from apps.processes import jobs

    assert jobs.checkpoint_audit_chain(engine, db_settings) is True  # the empty log of a fresh install
    _rows(engine, 2)
    assert jobs.checkpoint_audit_chain(engine, db_settings) is True
    assert jobs.checkpoint_audit_chain(engine, db_settings) is False  # unchanged head: no new line
    _rows(engine, 1)
    assert jobs.checkpoint_audit_chain(engine, db_settings) is True
    lines = db_settings.effective_audit_checkpoint_file.read_text().splitlines()
    assert [json.loads(line)["rows"] for line in lines] == [0, 2, 3]
    assert _verify(db_settings)[0] == 0
