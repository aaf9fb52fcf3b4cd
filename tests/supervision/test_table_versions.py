"""The table versions cached figures are keyed by: moved by the database on every write of a table, whoever
writes it, and noted from the statements a figure's build sends."""

from __future__ import annotations

import logging

import pytest
from pydantic import TypeAdapter
from sqlalchemy import delete, insert, inspect, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from diagnose.models import Provider, Region, Telemetry
from diagnose.services.supervision import data_version, versioned_cache
from tests.supervision.conftest import World


def _version(engine: Engine, table: str) -> int:
    with Session(engine) as session:
        return data_version.current(session=session)[table]


def test_every_table_but_the_untracked_ones_has_a_version_and_its_triggers(engine: Engine) -> None:
    with Session(engine) as session:
        tracked = set(data_version.current(session=session))
    assert (
        tracked == set(SQLModel.metadata.tables) - data_version.UNTRACKED
    )  # a new table: track it or list it
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            triggered = set(
                conn.execute(
                    text("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                         "WHERE t.tgname = 'tableversion_bump'")
                ).scalars()
            )  # fmt: skip
        assert triggered == tracked
    else:
        with engine.connect() as conn:
            triggers = set(
                conn.execute(
                    text("SELECT tbl_name || ' ' || name FROM sqlite_master WHERE type = 'trigger' "
                         "AND name LIKE 'tableversion%'")
                ).scalars()
            )  # fmt: skip
        expected = {
            f"{name} tableversion_{name}_{event}"
            for name in tracked
            for event in ("insert", "update", "delete")
        }
        assert triggers == expected


def test_inserts_updates_and_deletes_move_the_version_by_any_path_and_a_rollback_moves_it_back(
    engine: Engine,
) -> None:
    seen = [_version(engine, "region")]
    with Session(engine) as session:  # the ORM
        session.add(Region(code="320499", name="测试区", level="district", parent_code=None))
        session.commit()
    seen.append(_version(engine, "region"))
    with engine.begin() as conn:  # Core
        conn.execute(update(Region).where(Region.code == "320499").values(name="改名区"))  # type: ignore[arg-type]
    seen.append(_version(engine, "region"))
    with engine.begin() as conn:  # plain SQL, as another program would send it
        conn.execute(text("DELETE FROM region WHERE code = '320499'"))
    seen.append(_version(engine, "region"))
    assert seen == sorted(set(seen)) and len(seen) == 4  # every write moved it forward
    with engine.connect() as conn:
        conn.execute(insert(Region).values(code="320498", name="未提交区", level="district"))
        conn.rollback()
    assert _version(engine, "region") == seen[-1]
    with engine.begin() as conn:  # a statement that changes no row
        conn.execute(delete(Region).where(Region.code == "nothing"))  # type: ignore[arg-type]
    assert _version(engine, "region") >= seen[-1]
    assert _version(engine, "provider") == _version(engine, "provider")  # and they stand still otherwise


_NAMES = versioned_cache.Figure("names", TypeAdapter(list[str]))


def _names(session: Session, statement: object) -> list[str]:
    return versioned_cache.cached(
        ("names", str(statement)),
        lambda own: sorted(own.exec(statement).all()),  # type: ignore[call-overload]
        session=session,
        figure=_NAMES,
    )


def test_a_build_that_reads_an_untracked_table_is_served_but_never_cached(
    engine: Engine, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    builds = []
    statement = select(Telemetry.id).limit(1)
    for _ in range(2):
        with Session(engine) as session:
            builds.append(_names(session, statement))
    assert builds[0] == builds[1]
    assert caplog.text.count("reads tables without a version ['telemetry']") == 2  # built each time
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        with Session(engine) as session:
            _names(session, text("SELECT name FROM provider"))
    assert "reads tables without a version ['?']" in caplog.text  # SQL text: its tables cannot be told


def test_what_a_session_builds_after_writing_is_not_cached(engine: Engine, world: World) -> None:
    statement = select(Provider.name)
    with Session(engine) as session:
        region = session.exec(select(Provider.region_code)).first()
        session.add(Provider(uscc="91320412MA1ROLLBK1", name="未提交服务商", region_code=region))
        session.flush()
        assert "未提交服务商" in _names(session, statement)  # its own uncommitted data, built for it alone
        session.rollback()
    with engine.begin() as conn:  # another change takes the version the rolled-back one had
        conn.execute(text("INSERT INTO provider (uscc, name, region_code) SELECT '91320412MA1OTHER2', "
                          "'已提交服务商', region_code FROM provider LIMIT 1"))  # fmt: skip
    with Session(engine) as session:
        names = _names(session, statement)
    assert "已提交服务商" in names and "未提交服务商" not in names


def test_the_tables_a_build_reads_are_noted_from_joins_and_subqueries(engine: Engine) -> None:
    from diagnose.models import DiagnosisOrder, Enterprise

    inner = select(Enterprise.id).where(Enterprise.region_code == "320412")
    with data_version.reading() as tables, Session(engine) as session:
        session.exec(select(DiagnosisOrder.id).join(Provider).where(DiagnosisOrder.enterprise_id.in_(inner)))  # type: ignore[union-attr]
    assert tables == {"diagnosisorder", "provider", "enterprise"}
    assert "region" in set(inspect(engine).get_table_names())
