"""`diagnose calendar`: a plant's production calendar and the national holiday notices it can load."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlmodel import select

from apps.cli.context import command_engine
from diagnose.db import session_scope
from diagnose.models import Enterprise
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.shopfloor import plant_records
from scoring.indicators.calendar import holiday_notice, parse_holiday_notice, shipped_notice_years

CLI_ACTOR = "system:cli"


@click.group("calendar")
def calendar_group() -> None:
    """Production calendars: national holiday notices (see docs/scoring.md, "Production calendar")."""


@calendar_group.command("notices")
def notices_command() -> None:
    """List the national holiday notices the platform ships, with their citations."""
    for year in shipped_notice_years():
        notice = holiday_notice(year)
        click.echo(f"{year} {notice.version}: {notice.title} ({notice.issued_on.isoformat()})")
        click.echo(f"     {len(notice.days_off)} days off, {len(notice.workdays)} makeup working days")


@calendar_group.command("check-notice")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_notice_command(path: Path) -> None:
    """Check a holiday notice file before it is added (dates, citation); exit 1 naming what is wrong."""
    try:
        notice = parse_holiday_notice(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{path.name}: {exc}") from None
    click.echo(
        f"{notice.year} {notice.version}: {len(notice.days_off)} days off, "
        f"{len(notice.workdays)} makeup working days; cites: {notice.citation}"
    )


@calendar_group.command("load-holidays")
@click.argument("uscc")
@click.option("--year", type=int, required=True, help="The notice's year (see `diagnose calendar notices`).")
@click.option("--like", "workday_like", type=click.IntRange(0, 6), default=0, show_default=True,
              help="Makeup working days get the shifts of this weekday (0 = Monday).")  # fmt: skip
def load_holidays_command(uscc: str, year: int, workday_like: int) -> None:
    """Add a year's national holidays to an enterprise's calendar (days off; makeup working days)."""
    _, engine = command_engine()
    with session_scope(engine) as session:
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
        if enterprise is None or enterprise.id is None:
            raise click.ClickException(f"no enterprise {uscc}")
        try:
            holidays, dated = plant_records.load_holiday_notice(
                session=session,
                actor=CLI_ACTOR,
                enterprise_id=enterprise.id,
                year=year,
                workday_like=workday_like,
            )
        except ValidationError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"{uscc}: {holidays} days off and {dated} shifts or breaks of makeup working days added")
