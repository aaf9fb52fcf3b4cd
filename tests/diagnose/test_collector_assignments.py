"""Collector assignments in the database: `diagnose collectors assign|unassign|move|forget|list`, audit-logged;
what a collector reads (its assignment, who holds what)."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from apps.cli import main
from diagnose.models import AuditLog
from diagnose.models.base import utcnow
from diagnose.services.shopfloor import collector_assignments as ca
from diagnose.settings import Settings
from tests import factories


def _plant(engine: Engine) -> tuple[str, str]:
    with Session(engine) as session:
        factories.regions(session)
        usccs = (factories.enterprise(session, serial=1).uscc, factories.enterprise(session, serial=2).uscc)
        session.commit()
    return usccs


def _cli(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(main, ["collectors", *args], obj=settings)
    assert result.exit_code == 0, result.output
    return result.output


def _rows(settings: Settings) -> list[dict[str, object]]:
    return [json.loads(line) for line in _cli(settings, "list", "--json").splitlines()]


def test_assign_move_unassign_and_forget_from_the_cli(engine: Engine, db_settings: Settings) -> None:
    e1, e2 = _plant(engine)
    assert "no assignments" in _cli(db_settings, "list")
    assert f"assigned to c1: {e1}, {e2}" in _cli(db_settings, "assign", "c1", e1, e2)
    assert "nothing new" in _cli(db_settings, "assign", "c1", e1)
    with Session(engine) as session:
        assert ca.assigned_to(session=session, collector_id="c1") == {e1, e2}
        assert ca.assigned_to(session=session, collector_id="c2") == set()  # the table assigns: c2 takes none
        ca.record_held(session=session, collector_id="c1", usccs=[e1])  # c1 subscribed to e1 (SUBACK in)
        session.commit()

    assert f"{e1} → c2 (from c1)" in _cli(db_settings, "move", e1, "--to", "c2")
    rows = {(r["collector"], r["uscc"]): r for r in _rows(db_settings)}
    assert rows[("c1", e1)]["assigned"] is False and rows[("c1", e1)]["held_since"]  # held until c2 holds it
    assert rows[("c2", e1)]["assigned"] is True and rows[("c2", e1)]["held_since"] is None
    with Session(engine) as session:
        recent = utcnow() - timedelta(minutes=1)
        assert ca.holders(session=session, seen_since=recent) == {e1: {"c1"}}
        assert ca.holders(session=session, seen_since=utcnow() + timedelta(minutes=1)) == {}  # not seen since
        ca.record_held(session=session, collector_id="c2", usccs=[e1])
        ca.forget_held(session=session, collector_id="c1", usccs=[e1])  # c1 let go (after the UNSUBACK)
        session.commit()
        assert ca.holders(session=session, seen_since=recent) == {e1: {"c2"}}

    assert f"unassigned from c1: {e2}" in _cli(db_settings, "unassign", "c1", e2)  # never held: row gone
    assert {(r["collector"], r["uscc"]) for r in _rows(db_settings)} == {("c2", e1)}
    assert "forgot 1 rows of c2" in _cli(db_settings, "forget", "c2")
    with Session(engine) as session:
        assert ca.assigned_to(session=session, collector_id="c1") is None  # nothing assigned anywhere again
        actions = session.exec(
            select(AuditLog.action, AuditLog.entity_id).where(col(AuditLog.action).startswith("collector."))
        ).all()
    assert actions == [
        ("collector.assign", "c1"),
        ("collector.assign", "c2"),
        ("collector.unassign", "c1"),
        ("collector.unassign", "c1"),
        ("collector.forget", "c2"),
    ]


def test_an_unknown_enterprise_is_refused(engine: Engine, db_settings: Settings) -> None:
    _plant(engine)
    result = CliRunner().invoke(main, ["collectors", "assign", "c1", "91000000MA0000000X"], obj=db_settings)
    assert result.exit_code == 1 and "no enterprise 91000000MA0000000X" in result.output
    assert _rows(db_settings) == []
