"""CLI commands `diagnose model` and `diagnose score` over the pure CMMM scoring package."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from scoring.maturity import AssessmentError, load_model, parse_assessment, score


def _print_json(data: Any) -> None:
    """Print JSON with Chinese text kept readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.command("model")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the whole model (levels, nodes, requirements) as JSON."
)
def model_command(as_json: bool) -> None:
    """Show the CMMM model: levels, elements, domains, sub-domains and the requirement bank."""
    model = load_model()
    if as_json:
        _print_json(model.to_dict())
        return
    click.echo(f"{model.version}  ({len(model.requirements)} requirements, table {model.table_version})")
    for sub in model.subdomains:
        levels = sorted({r.level for r in model.requirements if r.subdomain == sub.id})
        count = sum(1 for r in model.requirements if r.subdomain == sub.id)
        click.echo(f"  {sub.code}  {sub.name_zh} / {sub.name_en}: levels {levels}, {count} requirements")


@click.command("score")
@click.argument("assessment_file", type=click.File("r", encoding="utf-8"))
def score_command(assessment_file: Any) -> None:
    """Score ASSESSMENT_FILE (JSON: industry_type and answers by requirement id) and print the result as JSON."""
    try:
        data = json.load(assessment_file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{assessment_file.name}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{assessment_file.name}: top level must be a JSON object")
    model = load_model()
    try:
        assessment = parse_assessment(data, model)
    except AssessmentError as exc:
        raise click.ClickException(f"invalid field '{exc.field}': {exc.detail}") from exc
    _print_json(score(assessment, model).to_dict())
    sys.stdout.flush()
