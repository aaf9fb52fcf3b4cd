"""The `diagnose` command: one sub-command per process or task, each with --help."""

from __future__ import annotations

import importlib
import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from diagnose.observability import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from diagnose.settings import Settings

log = logging.getLogger("diagnose")

# Commands that live in their own modules, imported only when one is run or asked for its own --help, so that
# `diagnose --help` and the process commands load no model, service or database code they do not use. The
# listing shows each one's first help paragraph from here (tests/diagnose/test_cli.py holds it to the command's).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "audit-log": (
        "apps.cli.audit",
        "audit_log_group",
        "The append-only audit log, chained by a keyed MAC and checkpointed outside the database.",
    ),
    "calendar": (
        "apps.cli.calendar",
        "calendar_group",
        'Production calendars: national holiday notices (see docs/scoring.md, "Production calendar").',
    ),
    "collectors": (
        "apps.cli.collectors",
        "collectors_group",
        "Assign enterprises to collectors; running collectors follow within DIAGNOSE_COLLECTOR_ASSIGNMENT_POLL_S.",
    ),
    "deadletters": (
        "apps.cli.collect",
        "deadletters_group",
        "Messages the collector could not use, with their raw bytes and the reason.",
    ),
    "devices": (
        "apps.cli.collect",
        "devices_group",
        "The device registry: pending devices, confirmation, MQTT credentials.",
    ),
    "gateways": (
        "apps.cli.collect",
        "gateways_group",
        "Gateway accounts: one enterprise-scoped broker login for a gateway or Sparkplug edge node.",
    ),
    "model": (
        "apps.cli.scoring",
        "model_command",
        "Show the CMMM model: levels, elements, domains, sub-domains and the requirement bank.",
    ),
    "oee": (
        "apps.cli.collect",
        "oee_command",
        "OEE of a device over a window (availability, performance, quality), an enterprise's evidence snapshot "
        "over a window, or (--order) the snapshot a scoring stored: every figure with its status and data.",
    ),
    "partitions": (
        "apps.cli.partitions",
        "partitions_group",
        "Telemetry's day partitions on PostgreSQL (managed by pg_partman).",
    ),
    "policies": (
        "apps.cli.policies",
        "policies_command",
        "Policy versions as maintained data: import a policy file, publish it, list versions.",
    ),
    "profiles": (
        "apps.cli.profiles",
        "profiles_group",
        "Payload profiles: how the telemetry on plant/{USCC}/{SOURCE}/telemetry is read.",
    ),
    "report": (
        "apps.cli.report",
        "report_command",
        "Diagnosis reports: `diagnose report DIAGNOSIS_ID --out FILE.pdf`, `diagnose report verify FILE.pdf`.",
    ),
    "score": (
        "apps.cli.scoring",
        "score_command",
        "Score ASSESSMENT_FILE (JSON: industry_type and answers by requirement id) and print the result as "
        "JSON.",
    ),
    "sme": (
        "apps.cli.sme",
        "sme_group",
        "The national SME digital-level evaluation (中小企业数字化水平评测指标 2024年版).",
    ),
    "subsidy": (
        "apps.cli.subsidy",
        "subsidy_command",
        "Size the subsidies of PLAN.json under the seed policies, clause by clause (prints JSON).",
    ),
    "supervision": (
        "apps.cli.supervision",
        "supervision_command",
        "Bureau supervision: provider performance, anomaly flags and the provider subsidy.",
    ),
}


class LazyGroup(click.Group):
    """A group whose `LAZY_COMMANDS` are imported when looked up by name (click's "lazily loading
    subcommands"), and listed in the group's help from the table without importing them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute, _help = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        listed = {
            name: self.commands.get(name) or click.Command(name, help=LAZY_COMMANDS[name][2])
            for name in self.list_commands(ctx)
        }
        limit = formatter.width - 6 - max(len(name) for name in listed)
        rows = [(name, command.get_short_help_str(limit)) for name, command in listed.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


def command_engine(*, require_current_schema: bool = True) -> tuple[Settings, Engine]:
    """`apps.cli.context.command_engine`, imported when a command runs."""
    from apps.cli.context import command_engine as engine_of

    return engine_of(require_current_schema=require_current_schema)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    return stop


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """智诊 diagnose: factory digital-readiness diagnosis platform.

    Settings come from DIAGNOSE_* environment variables (see README, "Configuration").
    """
    if ctx.obj is None:
        from diagnose.settings import load_settings

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
    from diagnose import migrate
    from diagnose.services.telemetry import partman

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
    from diagnose.db import session_scope
    from diagnose.services.supervision.status import counts

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
    from apps.processes.jobs import run_scheduler, serve_metrics

    settings = _settings(ctx)
    serve_metrics(settings)
    run_scheduler(command_engine()[1], settings, _stop_on_signals())


@main.command("serve")
@click.option("--dev", is_flag=True, help="Flask's single-process development server instead of gunicorn.")
@click.pass_context
def serve(ctx: click.Context, dev: bool) -> None:
    """Serve the web UI and API (gunicorn with DIAGNOSE_WEB_WORKERS workers)."""
    from apps.processes.server import run_web

    command_engine()[1]
    run_web(_settings(ctx), dev=dev)


@main.command("demo")
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Everything at once with sample data: broker, collector, simulator, scheduler and web UI. Ctrl-C stops."""
    from apps.demo.embedded_broker import MISSING
    from apps.demo.run import run_demo

    try:
        code = run_demo(_settings(ctx))
    except RuntimeError as exc:
        if str(exc) != MISSING:
            raise
        raise click.ClickException(MISSING) from exc
    sys.exit(code)
