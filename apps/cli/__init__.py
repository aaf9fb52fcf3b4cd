"""The `diagnose` command: one sub-command per process or task, each with --help."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime

import click

from apps.cli.context import command_engine
from diagnose import migrate
from diagnose.db import session_scope
from diagnose.observability import configure_logging
from diagnose.services import partman
from diagnose.settings import Settings, load_settings

log = logging.getLogger("diagnose")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    return stop


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """智诊 diagnose: factory digital-readiness diagnosis platform.

    Settings come from DIAGNOSE_* environment variables (see README, "Configuration").
    """
    if ctx.obj is None:
        try:
            ctx.obj = load_settings()
        except ValueError as exc:
            raise click.UsageError(f"bad settings: {exc}") from exc
    configure_logging(fmt=ctx.obj.log_format, level=logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Create the database schema, or migrate it to the newest version."""
    engine = command_engine(require_current_schema=False)[1]
    before = migrate.current_revision(engine)
    try:
        migrate.upgrade(engine)
    except partman.Missing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database at revision {migrate.current_revision(engine)} (was {before or 'empty'})")


@main.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts: enterprises, devices, devices seen in 5 minutes, telemetry rows, diagnoses by status."""
    from diagnose.services.status import counts

    engine = command_engine()[1]
    with session_scope(engine) as session:
        result = counts(session=session, now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in result.items():
            click.echo(f"{key}: {value}")


@main.command("collect")
@click.pass_context
def collect(ctx: click.Context) -> None:
    """Run one collector in the foreground (MQTT → database) until Ctrl-C."""
    from collectors.service import run_collector

    settings = _settings(ctx)
    run_collector(settings, command_engine()[1], _stop_on_signals())


@main.command("simulate")
@click.option(
    "--devices",
    "device_count",
    type=int,
    default=None,
    help="Simulate this many synthetic devices instead of the registry's networked devices.",
)
@click.option("--enterprise", "uscc", default=None, help="USCC of the synthetic devices' enterprise.")
@click.option("--rate", "rate_hz", type=float, default=None, help="Messages per device per second.")
@click.pass_context
def simulate(ctx: click.Context, device_count: int | None, uscc: str | None, rate_hz: float | None) -> None:
    """Publish a simulated plant's telemetry to the broker until Ctrl-C."""
    from collectors.simulator import PlantSimulator, registry_devices, synthetic_devices

    settings = _settings(ctx)
    if device_count is not None:
        if uscc is None:
            raise click.UsageError("--enterprise USCC is required with --devices")
        devices = synthetic_devices(uscc, device_count)
    else:
        devices = registry_devices(command_engine()[1])
    if not devices:
        raise click.UsageError(
            "no networked devices registered; run `diagnose demo` or pass --devices and --enterprise"
        )
    simulator = PlantSimulator(
        devices,
        url=settings.mqtt_url,
        protocol=settings.mqtt_protocol,
        rate_hz=rate_hz or settings.simulate_rate_hz,
        edge_accounts=True,  # each edge node logs in with its own account (see `diagnose demo`)
    )
    click.echo(f"simulating {len(devices)} devices at {simulator.rate_hz}/s to {settings.mqtt_public_url}")
    simulator.run(_stop_on_signals())


@main.command("jobs")
@click.pass_context
def jobs(ctx: click.Context) -> None:
    """Run the scheduler (exactly one per installation; a second one stands by) until Ctrl-C."""
    from apps.jobs import run_scheduler, serve_metrics

    settings = _settings(ctx)
    serve_metrics(settings)
    run_scheduler(command_engine()[1], settings, _stop_on_signals())


@main.command("serve")
@click.option("--dev", is_flag=True, help="Flask's single-process development server instead of gunicorn.")
@click.pass_context
def serve(ctx: click.Context, dev: bool) -> None:
    """Serve the web UI and API (gunicorn with DIAGNOSE_WEB_WORKERS workers)."""
    from apps.server import run_web

    command_engine()[1]
    run_web(_settings(ctx), dev=dev)


@main.command("demo")
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Everything at once with sample data: broker, collector, simulator, scheduler and web UI. Ctrl-C stops."""
    from apps.demo import run_demo
    from apps.embedded_broker import MISSING

    try:
        code = run_demo(_settings(ctx))
    except RuntimeError as exc:
        if str(exc) != MISSING:
            raise
        raise click.ClickException(MISSING) from exc
    sys.exit(code)


def _register_commands() -> None:
    """Commands that live in their own modules, one per part of the product."""
    from apps.cli.audit import audit_log_group
    from apps.cli.calendar import calendar_group
    from apps.cli.collect import register as register_collect_commands
    from apps.cli.collectors import collectors_group
    from apps.cli.partitions import partitions_group
    from apps.cli.policies import policies_command
    from apps.cli.profiles import profiles_group
    from apps.cli.report import report_command
    from apps.cli.scoring import model_command, score_command
    from apps.cli.sme import sme_group
    from apps.cli.subsidy import subsidy_command
    from apps.cli.supervision import supervision_command

    commands = (
        model_command,
        score_command,
        subsidy_command,
        supervision_command,
        report_command,
        policies_command,
    )
    for command in (
        *commands,
        audit_log_group,
        partitions_group,
        collectors_group,
        calendar_group,
        profiles_group,
        sme_group,
    ):
        main.add_command(command)
    register_collect_commands(main)


_register_commands()
