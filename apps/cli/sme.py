"""CLI `diagnose sme`: the SME digital-level index (工信厅企业〔2024〕56号) and the pure scoring of answers."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from scoring.sme import AnswerError, load_index, score_answers
from scoring.sme.engine import fmt
from scoring.sme.versions import check_import, summary_zh


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group("sme")
def sme_group() -> None:
    """The national SME digital-level evaluation (中小企业数字化水平评测指标 2024年版)."""


@sme_group.command("index")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the whole index (items, scenarios, rule) as JSON."
)
def index_command(as_json: bool) -> None:
    """Show the index: dimensions, items with their points, scenarios (★ = constraint) and the level rule."""
    idx = load_index()
    if as_json:
        _print_json(idx.model_dump(mode="json"))
        return
    click.echo(f"{idx.version}  {idx.title_zh}")
    for dim in idx.dimensions:
        click.echo(f"  {dim.name_zh} {fmt(dim.points)}")
        for item in (i for i in idx.items if i.dimension == dim.id):
            mark = "" if item.confirmed else "  (unconfirmed)"
            click.echo(f"    {item.id} {item.sub_item_zh} {fmt(item.points)}: {item.name_zh}{mark}")
    click.echo("  数字化经营: " + "、".join(s.name_zh + ("★" if s.constraint else "") for s in idx.scenarios))
    rule = idx.level_rule
    for cut in rule.levels:
        click.echo(
            f"  {cut.name_zh}: score >= {fmt(cut.min_score)}, >= {cut.min_scenarios} scenarios at {cut.name_zh} "
            f"or above, >= {cut.min_constraint} of them ★" + ("" if rule.confirmed else "  (unconfirmed)")
        )


@sme_group.command("score")
@click.argument("answers_file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--allow-missing", is_flag=True, help="Score a questionnaire in progress (missing answers listed)."
)
def score_command(answers_file: Any, allow_missing: bool) -> None:
    """Score ANSWERS_FILE (JSON: {"items": {...}, "scenarios": {...}}, or a golden case with "answers")."""
    try:
        data = json.load(answers_file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{answers_file.name}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and "answers" in data:
        data = data["answers"]
    if not isinstance(data, dict):
        raise click.ClickException(f"{answers_file.name}: top level must be a JSON object")
    try:
        result = score_answers(data, allow_missing=allow_missing)
    except AnswerError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_json(result.to_dict())
    sys.stdout.flush()


@sme_group.command("check-index")
@click.argument("index_file", type=click.File("r", encoding="utf-8"))
def check_index_command(index_file: Any) -> None:
    """Validate a corrected version of the index and print what it changes against the packaged one."""
    try:
        raw = json.load(index_file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{index_file.name}: not valid JSON ({exc})") from exc
    current = load_index()
    try:
        new, changes = check_import(raw, current)
    except ValueError as exc:
        raise click.ClickException(f"{index_file.name}: {exc}") from exc
    click.echo(summary_zh(current, new))
    for change in changes:
        click.echo(f"  {change.text_zh}")
    if not changes:
        click.echo("  no changes")
