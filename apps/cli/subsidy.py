"""`diagnose subsidy`: size the subsidies of a plan clause by clause, list targets, and run what-ifs."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from scoring.subsidy import (
    Catalogue,
    Change,
    PlanError,
    evaluate,
    list_targets,
    load_catalogue,
    parse_plan,
    what_if,
)


def _parse_change(text: str) -> Change:
    """Parse 'investments.equipment_cny=+1000000' (relative) or '...=2000000' (absolute)."""
    field, sep, value = text.partition("=")
    if not sep or not field:
        raise PlanError(text, "what-if must look like FIELD=+AMOUNT or FIELD=AMOUNT")
    relative = value[:1] in ("+", "-")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise PlanError(field, f"what-if value {value!r} is not a number") from None
    if not number.is_finite():
        raise PlanError(field, f"what-if value {value!r} is not a number")
    return Change(field=field, value=number, relative=relative)


def _in_force_catalogue() -> Catalogue:
    from apps.cli.context import command_engine
    from diagnose.db import session_scope
    from diagnose.services.diagnosis import policy_store

    with session_scope(command_engine()[1]) as session:
        return policy_store.catalogue(session=session)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


@click.command("subsidy")
@click.argument("plan_path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--targets", "show_targets", is_flag=True, help="List every target id with its Chinese name.")
@click.option("--json", "as_json", is_flag=True, help="With --targets: print JSON instead of text.")
@click.option(
    "--in-force",
    "in_force",
    is_flag=True,
    help="Use the catalogue in force in the database (shipped policies plus published versions).",
)
@click.option(
    "--what-if",
    "what_ifs",
    multiple=True,
    metavar="FIELD=+AMOUNT",
    help="Change a numeric plan field (+/- relative, else absolute) and report the marginal subsidy.",
)
def subsidy_command(
    plan_path: Path | None, show_targets: bool, as_json: bool, in_force: bool, what_ifs: tuple[str, ...]
) -> None:
    """Size the subsidies of PLAN.json under the seed policies, clause by clause (prints JSON)."""
    catalogue = _in_force_catalogue() if in_force else load_catalogue()
    if show_targets:
        targets = list_targets(catalogue)
        if as_json:
            rows = [{"id": t.id, "name_zh": t.name_zh, "kind": t.kind} for t in targets]
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for t in targets:
                click.echo(f"{t.id}\t{t.name_zh}")
        return
    if plan_path is None:
        _fail("PLAN.json is required (or use --targets)")
        return
    try:
        raw = json.loads(plan_path.read_text(encoding="utf-8"), parse_float=Decimal)
    except OSError as exc:
        _fail(f"{plan_path}: cannot read ({exc.strerror})")
        return
    except json.JSONDecodeError as exc:
        _fail(f"{plan_path}: not valid JSON ({exc.msg} at line {exc.lineno})")
        return
    try:
        plan = parse_plan(raw, catalogue)
        if what_ifs:
            result = what_if(plan, catalogue, [_parse_change(item) for item in what_ifs])
            payload = result.to_dict()
        else:
            payload = evaluate(plan, catalogue).to_dict()
    except PlanError as exc:
        _fail(str(exc))
        return
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
