"""`diagnose audit-log verify|checkpoint`: check the audit log's keyed chain; checkpoint its head outside the database."""

from __future__ import annotations

from pathlib import Path

import click
from sqlmodel import Session

from apps.cli.context import command_engine
from diagnose.services.audit import audit_checkpoints, audit_verify


@click.group("audit-log")
def audit_log_group() -> None:
    """The append-only audit log, chained by a keyed MAC and checkpointed outside the database."""


@audit_log_group.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Checkpoint file to check against (default: DIAGNOSE_AUDIT_CHECKPOINT_FILE).",
)
@click.option(
    "--expect",
    multiple=True,
    metavar="N:HEX",
    help="A value printed in a report (审计记录第 N 条, 审计链校验值 HEX) or kept elsewhere; repeatable.",
)
def verify_command(checkpoint_file: Path | None, expect: tuple[str, ...]) -> None:
    """Check every row's MAC, the checkpoints, the values printed in issued reports and the issued reports
    themselves; exit 1 naming each thing that is wrong and where."""
    settings, engine = command_engine()
    try:
        anchors = [audit_verify.parse_expectation(text) for text in expect]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expect") from None
    with Session(engine) as session:
        report = audit_verify.verify(
            session=session,
            key=settings.effective_audit_key(),
            checkpoint_file=checkpoint_file or settings.effective_audit_checkpoint_file,
            expect=anchors,
        )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if not report.intact:
        click.echo(f"audit log tampered: {len(report.problems)} problem(s) in {report.rows} rows", err=True)
        for problem in report.problems:
            click.echo(f"  {problem.where}: {problem.what}", err=True)
        raise SystemExit(1)
    head = report.head
    value = f"; head: record no. {head.rows}, row {head.last_id}, {head.value}" if head and head.rows else ""
    click.echo(
        f"audit log intact: {report.rows} rows{value}; "
        f"{report.anchors} checkpoints and printed values, {report.reports} issued reports agree"
    )


@audit_log_group.command("checkpoint")
def checkpoint_command() -> None:
    """Append the chain's head to the checkpoint file (DIAGNOSE_AUDIT_CHECKPOINT_FILE), signed with the key."""
    settings, engine = command_engine()
    path = settings.effective_audit_checkpoint_file
    with Session(engine) as session:
        checkpoint, written = audit_checkpoints.append(
            session=session, key=settings.effective_audit_key(), path=path
        )
    state = "written to" if written else "already the last line of"
    click.echo(
        f"checkpoint: record no. {checkpoint.rows}, row {checkpoint.last_id}, {checkpoint.head} ({state} {path})"
    )
