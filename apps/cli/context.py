"""What every `diagnose` sub-command needs: the settings of the run and an engine that is disposed at the end."""

from __future__ import annotations

import click
from sqlalchemy.engine import Engine

from diagnose import migrate
from diagnose.db import make_engine
from diagnose.services.telemetry import partitions, partman
from diagnose.settings import Settings, load_settings


def command_settings() -> Settings:
    """The settings the `diagnose` group built (or the environment's, for a command run on its own)."""
    obj = click.get_current_context().find_root().obj
    return obj if isinstance(obj, Settings) else load_settings()


def command_engine(*, require_current_schema: bool = True) -> tuple[Settings, Engine]:
    """Settings and engine; the engine is disposed when the command ends, and the schema must be current (with
    pg_partman managing telemetry on PostgreSQL)."""
    settings = command_settings()
    engine = make_engine(settings)
    click.get_current_context().call_on_close(engine.dispose)  # no connection left open
    if require_current_schema:
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            raise click.ClickException(
                f"the database at {engine.url.render_as_string(hide_password=True)} is at schema revision "
                f"{current or 'none (empty)'}, the code needs {head}: run `diagnose init-db`"
            )
        try:
            partitions.check(
                engine
            )  # PostgreSQL: pg_partman manages telemetry's partitions, or say what to install
        except partman.Missing as exc:
            raise click.ClickException(str(exc)) from exc
    return settings, engine
