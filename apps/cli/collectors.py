"""`diagnose collectors assign|unassign|move|list`: which collector takes which enterprise's telemetry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import click
from sqlmodel import Session

from apps.cli.context import command_engine
from diagnose.db import session_scope
from diagnose.services.shopfloor import collector_assignments

CLI_ACTOR = "system:cli"
T = TypeVar("T")


@click.group("collectors")
def collectors_group() -> None:
    """Assign enterprises to collectors; running collectors follow within DIAGNOSE_COLLECTOR_ASSIGNMENT_POLL_S.

    A collector subscribes to what it gains before the one that loses it lets go, so nothing is lost and
    nobody restarts. COLLECTOR is a collector's DIAGNOSE_MQTT_CLIENT_ID.
    """


def _in_session(change: Callable[[Session], T]) -> T:
    """Run one change of the assignments in its own transaction; a refused change is a clear CLI error."""
    _, engine = command_engine()
    try:
        with session_scope(engine) as session:
            return change(session)
    except collector_assignments.AssignmentError as exc:
        raise click.ClickException(str(exc)) from exc


def _change(action: str, collector_id: str, usccs: tuple[str, ...]) -> list[str]:
    change = collector_assignments.assign if action == "assign" else collector_assignments.unassign
    return _in_session(
        lambda session: change(session=session, actor=CLI_ACTOR, collector_id=collector_id, usccs=usccs)
    )


@collectors_group.command("assign")
@click.argument("collector_id", metavar="COLLECTOR")
@click.argument("usccs", nargs=-1, required=True, metavar="USCC...")
def assign_command(collector_id: str, usccs: tuple[str, ...]) -> None:
    """Give enterprises to a collector (others that hold them keep them too until unassigned)."""
    added = _change("assign", collector_id, usccs)
    click.echo(f"assigned to {collector_id}: {', '.join(added) or 'nothing new'}")


@collectors_group.command("unassign")
@click.argument("collector_id", metavar="COLLECTOR")
@click.argument("usccs", nargs=-1, required=True, metavar="USCC...")
def unassign_command(collector_id: str, usccs: tuple[str, ...]) -> None:
    """Take enterprises from a collector; it lets go once another collector holds each."""
    removed = _change("unassign", collector_id, usccs)
    click.echo(f"unassigned from {collector_id}: {', '.join(removed) or 'nothing'}")


@collectors_group.command("move")
@click.argument("uscc")
@click.option("--to", "to", required=True, metavar="COLLECTOR", help="The collector that takes it over.")
def move_command(uscc: str, to: str) -> None:
    """Hand an enterprise over to one collector: assigned to it, unassigned from every other."""
    previous = _in_session(
        lambda session: collector_assignments.move(session=session, actor=CLI_ACTOR, uscc=uscc, to=to)
    )
    click.echo(f"{uscc} → {to}" + (f" (from {', '.join(previous)})" if previous else ""))


@collectors_group.command("forget")
@click.argument("collector_id", metavar="COLLECTOR")
def forget_command(collector_id: str) -> None:
    """Drop every row of a collector taken out of service for good (move its enterprises first)."""
    _, engine = command_engine()
    with session_scope(engine) as session:
        count = collector_assignments.forget_collector(
            session=session, actor=CLI_ACTOR, collector_id=collector_id
        )
    click.echo(f"forgot {count} rows of {collector_id}")


@collectors_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(as_json: bool) -> None:
    """Each collector's enterprises: assigned (by these commands) and held (subscribed, as it recorded)."""
    _, engine = command_engine()
    with Session(engine) as session:
        rows = collector_assignments.list_assignments(session=session)
    if not rows and not as_json:
        click.echo(
            "no assignments: every collector without DIAGNOSE_COLLECTOR_ENTERPRISES takes every enterprise"
        )
    for row in rows:
        held = row.held_at.isoformat(timespec="seconds") if row.held_at else None
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "collector": row.collector_id,
                        "uscc": row.uscc,
                        "assigned": row.assigned,
                        "held_since": held,
                    }
                )
            )
            continue
        state = (
            "assigned" if row.assigned else "not assigned (a static list, or let go once another holds it)"
        )
        click.echo(
            f"{row.collector_id} {row.uscc} {state}" + (f"; held since {held}" if held else "; not held yet")
        )
