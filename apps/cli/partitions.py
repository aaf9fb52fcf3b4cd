"""`diagnose partitions status`: who manages telemetry's day partitions on PostgreSQL."""

from __future__ import annotations

import click

from apps.cli.context import command_engine
from diagnose.services.telemetry import partitions


@click.group("partitions")
def partitions_group() -> None:
    """Telemetry's day partitions on PostgreSQL (managed by pg_partman)."""


@partitions_group.command("status")
def status_command() -> None:
    """Who manages the partitions, which days they cover, and rows waiting in pg_partman's default partition."""
    _, engine = command_engine()
    summary = partitions.summary(engine)
    click.echo(f"managed by: {summary.manager}")
    if summary.first_day is not None:
        click.echo(f"day partitions: {summary.days}, {summary.first_day} … {summary.last_day}")
    if summary.manager == "partman":
        click.echo(f"rows in the default partition (moved by the jobs hourly): {summary.rows_in_default}")
