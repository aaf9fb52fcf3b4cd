"""`diagnose report DIAGNOSIS_ID --out FILE.pdf [--lang zh|en]` issues a report; `diagnose report verify FILE.pdf`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlmodel import Session, select

from apps.cli.context import command_engine
from diagnose.db import session_scope
from diagnose.models import DiagnosisOrder

CLI_ACTOR = "system:cli"


class _IssueByDefault(click.Group):
    """A group whose first argument, when it is not a subcommand, is the diagnosis to issue a report for."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["issue", *args]
        return super().parse_args(ctx, args)


@click.group("report", cls=_IssueByDefault, invoke_without_command=True)
@click.pass_context
def report_command(ctx: click.Context) -> None:
    """Diagnosis reports: `diagnose report DIAGNOSIS_ID --out FILE.pdf`, `diagnose report verify FILE.pdf`."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _find_order(session: Session, key: str) -> DiagnosisOrder:
    order = session.get(DiagnosisOrder, int(key)) if key.isdigit() else None
    order = order or session.exec(select(DiagnosisOrder).where(DiagnosisOrder.number == key)).first()
    if order is None:
        raise click.ClickException(f"no diagnosis {key!r} (give the order id or its number)")
    return order


@report_command.command("issue")
@click.argument("diagnosis_id")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--draft", is_flag=True, help="Render without issuing: no version is stored, footer says DRAFT."
)
@click.option(
    "--docx",
    "docx_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the editable Word working copy (same content and report number) to this file.",
)
def issue(diagnosis_id: str, out: Path, lang: str, draft: bool, docx_out: Path | None) -> None:
    """Issue the next version of a submitted diagnosis's report and write its PDF to --out."""
    from reports import NotReportable, assemble, data_of, issue_report, render_docx, render_pdf, stamp_of

    settings, engine = command_engine()
    try:
        with session_scope(engine) as session:
            order = _find_order(session, diagnosis_id)
            if draft:
                data = assemble(session=session, order=order, silence_timeout_s=settings.silence_timeout_s)
                out.write_bytes(render_pdf(data, lang))
                if docx_out is not None:
                    docx_out.write_bytes(render_docx(data, lang))
                click.echo(f"draft of {order.number} → {out} (not issued)")
                return
            row = issue_report(
                session=session,
                order=order,
                actor=CLI_ACTOR,
                lang=lang,
                silence_timeout_s=settings.silence_timeout_s,
            )
            summary: dict[str, Any] = {
                "number": row.report_number,
                "version": row.version,
                "content": row.content_sha256,
                "pdf": row.pdf_sha256,
            }
            out.write_bytes(row.pdf)
            if docx_out is not None:
                docx_out.write_bytes(render_docx(data_of(row), row.lang, stamp_of(row)))
    except NotReportable as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"issued {summary['number']} v{summary['version']} → {out}\n"
        f"  content SHA-256 {summary['content']}\n  PDF SHA-256     {summary['pdf']}"
        + (f"\n  Word working copy → {docx_out}" if docx_out is not None else "")
    )


@report_command.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(file: Path) -> None:
    """Say whether FILE is an issued report and which version; exit 1 if altered or unknown."""
    from reports import verify_pdf

    with Session(command_engine()[1]) as session:
        result = verify_pdf(session=session, pdf=file.read_bytes())
    click.echo(f"{result.verdict}: {result.message}")
    if result.verdict != "issued":
        raise SystemExit(1)
