"""`diagnose audit-log verify`: check the audit log's hash chain."""

from __future__ import annotations

import click
from sqlmodel import Session

from apps.cli.context import command_engine
from diagnose.services import audit_log


@click.group("audit-log")
def audit_log_group() -> None:
    """The append-only, hash-chained audit log."""


@audit_log_group.command("verify")
def verify_command() -> None:
    """Recompute the hash chain; exit 1 naming the first row that does not match."""
    _, engine = command_engine()
    with Session(engine) as session:
        report = audit_log.verify_chain(session=session)
    if report.first_bad_id is not None:
        click.echo(f"audit log tampered: row {report.first_bad_id}: {report.reason}", err=True)
        raise SystemExit(1)
    click.echo(f"audit log intact: {report.rows} rows")
