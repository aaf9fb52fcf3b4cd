"""The audit log is tamper-evident: the database refuses rewrites, and verify names the first bad row."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from apps.cli.audit import audit_log_group
from diagnose.services import audit_log
from diagnose.settings import Settings


def _three(engine: Engine) -> None:
    with Session(engine) as session:
        for n in range(3):
            audit_log.record(
                session=session, actor="t", action="x.test", entity="thing", entity_id=n, detail={"n": n}
            )
        session.commit()


def _cli(settings: Settings) -> tuple[int, str]:
    group = click.Group("diagnose")
    group.add_command(audit_log_group)
    result = CliRunner().invoke(group, ["audit-log", "verify"], obj=settings)
    return result.exit_code, result.output


def test_rows_chain_and_verify(engine: Engine, db_settings: Settings) -> None:
    _three(engine)
    with Session(engine) as session:
        report = audit_log.verify_chain(session=session)
    assert report.rows == 3 and report.first_bad_id is None
    assert _cli(db_settings) == (0, "audit log intact: 3 rows\n")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditlog SET actor = 'mallory' WHERE id = 1",
        "DELETE FROM auditlog WHERE id = 1",
        "INSERT INTO auditlog (at, actor, action, entity, entity_id, row_hash) "
        "VALUES ('2001-01-01 00:00:00', 'mallory', 'x', 'y', '1', 'z')",  # back-dated
    ],
)
def test_database_refuses_rewrites(engine: Engine, statement: str) -> None:
    _three(engine)
    with engine.begin() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text(statement))


def test_a_replacing_insert_is_refused(engine: Engine) -> None:
    _three(engine)
    if engine.dialect.name == "sqlite":
        statement = (
            "INSERT OR REPLACE INTO auditlog (id, at, actor, action, entity, entity_id, row_hash) "
            "SELECT id, at, 'mallory', action, entity, entity_id, row_hash FROM auditlog WHERE id = 1"
        )
    else:
        statement = (
            "INSERT INTO auditlog (id, at, actor, action, entity, entity_id) "
            "SELECT id, now(), 'mallory', action, entity, entity_id FROM auditlog WHERE id = 1 "
            "ON CONFLICT (id) DO UPDATE SET actor = EXCLUDED.actor"
        )
    with engine.begin() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text(statement))
    with Session(engine) as session:
        assert audit_log.verify_chain(session=session).first_bad_id is None


def test_verify_reports_the_first_forged_row(engine: Engine, db_settings: Settings) -> None:
    _three(engine)
    with engine.begin() as connection:  # a row appended behind the service's back, with a made-up hash
        connection.execute(
            text(
                "INSERT INTO auditlog (at, actor, action, entity, entity_id, row_hash) "
                "SELECT at, 'mallory', 'user.role', 'user', '1', :h FROM auditlog WHERE id = 3"
            ),
            {"h": "f" * 64},
        )
    _three(engine)
    with Session(engine) as session:
        report = audit_log.verify_chain(session=session)
    assert report.first_bad_id == 4
    code, output = _cli(db_settings)
    assert code == 1 and "row 4" in output
