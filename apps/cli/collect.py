"""CLI commands around the collectors: `diagnose oee`, `diagnose devices …`, `diagnose deadletters …`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli.context import command_engine, command_settings
from apps.cli.evidence import scored_evidence, snapshot_dict
from apps.processes.broker import write_accounts
from collectors.client import BrokerAddress
from collectors.replay import list_dead_letters, replay, replay_device
from diagnose.db import session_scope
from diagnose.models import DeadLetter, Device, Enterprise
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.shopfloor import broker_accounts, dead_letters
from diagnose.services.shopfloor import devices as device_service
from diagnose.services.shopfloor import gateways as gateway_service
from diagnose.services.telemetry import telemetry_queries
from diagnose.settings import Settings
from scoring.indicators import OeeResult, Window

CLI_ACTOR = "system:cli"


def _engine(_ctx: click.Context) -> tuple[Settings, Engine]:
    return command_engine()


def _device_or_fail(session: Session, uscc: str, external_id: str) -> Device:
    """The registry's device, or a clear error naming what was asked for."""
    device = device_service.find_device(session=session, uscc=uscc, external_id=external_id)
    if device is None:
        raise click.ClickException(f"no device {external_id} at enterprise {uscc}")
    return device


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}") from exc
    if moment.tzinfo is None:
        raise click.BadParameter(f"give a time zone offset (e.g. +08:00 or Z): {text!r}")
    return moment.astimezone(UTC)


def _number(value: Fraction | int | None) -> float | int | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def oee_dict(result: OeeResult) -> dict[str, Any]:
    """The figures `diagnose oee --json` prints."""
    keys = (
        "availability",
        "performance",
        "quality",
        "oee",
        "planned_s",
        "run_s",
        "total_count",
        "good_count",
    )
    out: dict[str, Any] = {key: _number(getattr(result, key)) for key in keys}
    out["unknown_planned_s"] = float(result.unknown_planned_s)  # 无数据: not downtime, not in any reason
    out["downtime_by_reason_s"] = {code: float(s) for code, s in result.downtime_by_reason.items()}
    return out


@click.command("oee")
@click.option("--enterprise", "uscc", default=None, help="USCC of the enterprise.")
@click.option("--device", "external_id", default=None, help="Device id (omit for the enterprise's evidence).")
@click.option("--from", "start", default=None, help="Window start, ISO 8601 with offset.")
@click.option("--to", "end", default=None, help="Window end (exclusive), ISO 8601 with offset.")
@click.option(
    "--order", "order_number", default=None, help="An order: print the evidence its latest scoring used."
)
@click.option("--raw", is_flag=True, help="Ignore hourly roll-ups and read raw samples only.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def oee_command(
    ctx: click.Context,
    uscc: str | None,
    external_id: str | None,
    start: str | None,
    end: str | None,
    order_number: str | None,
    raw: bool,
    as_json: bool,
) -> None:
    """OEE of a device over a window (availability, performance, quality), an enterprise's evidence snapshot
    over a window, or (--order) the snapshot a scoring stored: every figure with its status and data."""
    settings, engine = _engine(ctx)
    with Session(engine) as session:
        if order_number is not None:
            data = scored_evidence(session, order_number, settings.silence_timeout_s)
        else:
            if uscc is None or start is None or end is None:
                raise click.UsageError("give --enterprise, --from and --to (or --order)")
            window = Window(_when(start), _when(end))
            if external_id is None:
                enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
                if enterprise is None or enterprise.id is None:
                    raise click.ClickException(f"no enterprise {uscc}")
                snapshot = evidence_snapshot.compute(
                    session=session,
                    enterprise_id=enterprise.id,
                    window=window,
                    silence_timeout_s=settings.silence_timeout_s,
                    use_rollups=not raw,
                )
                data = snapshot_dict(snapshot)
            else:
                device = _device_or_fail(session, uscc, external_id)
                result = telemetry_queries.device_oee(
                    session=session,
                    device=device,
                    window=window,
                    silence_timeout_s=settings.silence_timeout_s,
                    use_rollups=not raw,
                )
                data = oee_dict(result)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")


@click.group("devices")
def devices_group() -> None:
    """The device registry: pending devices, confirmation, MQTT credentials."""


@devices_group.command("pending")
@click.pass_context
def pending_command(ctx: click.Context) -> None:
    """List devices registered automatically from unknown telemetry, waiting for confirmation."""
    _, engine = _engine(ctx)
    with Session(engine) as session:
        for uscc, device in device_service.list_pending(session=session):
            click.echo(
                f"{uscc} {device.external_id} protocol={device.protocol} last_seen={device.last_seen_at}"
            )


@devices_group.command("confirm")
@click.argument("uscc")
@click.argument("external_id")
@click.pass_context
def confirm_command(ctx: click.Context, uscc: str, external_id: str) -> None:
    """Confirm a pending device and replay its dead-lettered telemetry (JSON, held Sparkplug) into the database."""
    settings, engine = _engine(ctx)
    with session_scope(engine) as session:
        device = _device_or_fail(session, uscc, external_id)
        device_service.confirm_device(session=session, actor=CLI_ACTOR, device=device)
        report = replay_device(
            session=session, uscc=uscc, external_id=external_id, max_payload_bytes=settings.max_payload_bytes
        )
    click.echo(
        f"confirmed {uscc}/{external_id}; replayed {report.replayed} dead letters "
        f"({report.inserted} new samples stored, {len(report.still_failing)} still failing)"
    )


@devices_group.command("credentials")
@click.argument("uscc")
@click.argument("external_id")
@click.pass_context
def credentials_command(ctx: click.Context, uscc: str, external_id: str) -> None:
    """Issue or rotate a device's MQTT password; print it once (only its Mosquitto hash is kept).

    Then run `diagnose devices broker-auth` so the broker knows the new password.
    """
    _, engine = _engine(ctx)
    with session_scope(engine) as session:
        device = _device_or_fail(session, uscc, external_id)
        creds = device_service.issue_mqtt_credentials(
            session=session, actor=CLI_ACTOR, device=device, uscc=uscc
        )
    click.echo(f"username: {creds.username}")
    click.echo(f"password: {creds.password}")
    click.echo(f"client id: {creds.username}")


@click.group("deadletters")
def deadletters_group() -> None:
    """Messages the collector could not use, with their raw bytes and the reason."""


@deadletters_group.command("list")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--topic-prefix", default=None, help="Only topics starting with this.")
@click.option("--all", "include_replayed", is_flag=True, help="Include dead letters already replayed.")
@click.option(
    "--counts",
    "only_counts",
    is_flag=True,
    help="Only the counts per device: kept, and only counted beyond the caps (no payloads).",
)
@click.option("--enterprise", "scope", default=None, help="Counts of this USCC (or Sparkplug group) only.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def list_command(
    ctx: click.Context,
    limit: int,
    topic_prefix: str | None,
    include_replayed: bool,
    only_counts: bool,
    scope: str | None,
    as_json: bool,
) -> None:
    """Newest dead letters first, then the counts per device (kept, and only counted beyond
    DIAGNOSE_DEAD_LETTERS_PER_DEVICE_HOUR or DIAGNOSE_DEAD_LETTER_BYTES_PER_ENTERPRISE_DAY)."""
    _, engine = _engine(ctx)
    with Session(engine) as session:
        if not only_counts:
            for letter in list_dead_letters(
                session=session, limit=limit, topic_prefix=topic_prefix, include_replayed=include_replayed
            ):
                row = {
                    "id": letter.id,
                    "received_at": letter.received_at.isoformat(),
                    "topic": letter.topic,
                    "reason": letter.reason,
                    "payload": bytes(letter.payload[:200]).decode("utf-8", "replace"),
                    "payload_size": letter.payload_size or len(letter.payload),
                    "payload_sha256": letter.payload_sha256,
                }
                click.echo(
                    json.dumps(row, ensure_ascii=False)
                    if as_json
                    else f"{row['id']} {row['topic']} {row['reason']}"
                )
            if as_json:
                return  # one kind of object per line; the counts are `--counts --json`
        counts = dead_letters.counts(session=session, scope=scope)
    if as_json:
        for count in counts:
            click.echo(
                json.dumps(
                    {
                        "enterprise": count.scope,
                        "device": count.device,
                        "kept": count.kept,
                        "dropped": count.dropped,
                        "received_bytes": count.received_bytes,
                        "last_at": count.last_at.isoformat(),
                        "last_reason": count.last_reason,
                    },
                    ensure_ascii=False,
                )
            )
        return
    if counts:
        click.echo("per device: enterprise device kept dropped(only counted) last_at last_reason")
    for count in counts:
        click.echo(
            f"{count.scope} {count.device} {count.kept} {count.dropped} "
            f"{count.last_at.isoformat(timespec='seconds')} {count.last_reason}"
        )


@deadletters_group.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter not replayed yet.")
@click.pass_context
def replay_command(ctx: click.Context, ids: tuple[int, ...], replay_all: bool) -> None:
    """Parse dead letters again and store those now usable (e.g. after fixing a device or the registry)."""
    if not ids and not replay_all:
        raise click.UsageError("give dead letter ids or --all")
    settings, engine = _engine(ctx)
    with session_scope(engine) as session:
        statement = select(DeadLetter).where(DeadLetter.replayed_at == None)  # noqa: E711
        if ids:
            statement = statement.where(DeadLetter.id.in_(ids))  # type: ignore[union-attr]
        letters = session.exec(statement.order_by(DeadLetter.id)).all()  # type: ignore[arg-type]
        report = replay(session=session, letters=letters, max_payload_bytes=settings.max_payload_bytes)
    click.echo(
        f"replayed {report.replayed} ({report.inserted} new samples); {len(report.still_failing)} still failing"
    )
    for letter_id, reason in report.still_failing[:20]:
        click.echo(f"  {letter_id}: {reason}")


@click.group("gateways")
def gateways_group() -> None:
    """Gateway accounts: one enterprise-scoped broker login for a gateway or Sparkplug edge node."""


@gateways_group.command("create")
@click.argument("uscc")
@click.argument("name")
@click.option("--sparkplug-edge", "edge_node", default=None, help="A Sparkplug edge node id (group = USCC).")
@click.option(
    "--client-suffix",
    "suffixes",
    multiple=True,
    metavar=".SUFFIX",
    help="A further client id: the login plus this suffix, e.g. .M01 (repeatable).",
)
@click.pass_context
def gateway_create_command(
    ctx: click.Context, uscc: str, name: str, edge_node: str | None, suffixes: tuple[str, ...]
) -> None:
    """Create a gateway account of enterprise USCC; print its password once (only its hash is kept).

    Then run `diagnose devices broker-auth` so the broker knows it.
    """
    _, engine = _engine(ctx)
    with session_scope(engine) as session:
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
        if enterprise is None:
            raise click.ClickException(f"no enterprise {uscc}")
        try:
            _, creds = gateway_service.create_gateway(
                session=session,
                actor=CLI_ACTOR,
                enterprise=enterprise,
                name=name,
                kind="sparkplug" if edge_node else "json",
                edge_node=edge_node,
                suffixes=list(suffixes),
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"username: {creds.username}")
    click.echo(f"password: {creds.password}")
    click.echo(f"client ids (each logs in as itself, same password): {' '.join(creds.client_ids)}")
    click.echo(f"may publish: {' '.join(creds.topics)}")


@gateways_group.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Show revoked gateways too.")
@click.pass_context
def gateway_list_command(ctx: click.Context, include_revoked: bool) -> None:
    """List gateway accounts (never their passwords)."""
    _, engine = _engine(ctx)
    with Session(engine) as session:
        for uscc, gateway in gateway_service.list_gateways(session=session, include_revoked=include_revoked):
            login = broker_accounts.gateway_username(uscc, gateway.name)
            state = f"revoked {gateway.revoked_at:%Y-%m-%d %H:%M}" if gateway.revoked_at else "active"
            edge = f" edge={gateway.edge_node}" if gateway.edge_node else ""
            click.echo(
                f"{uscc} {gateway.name} {gateway.kind}{edge} login={login} "
                f"client_ids={1 + len(gateway.client_suffixes)} {state}"
            )


@gateways_group.command("revoke")
@click.argument("uscc")
@click.argument("name")
@click.pass_context
def gateway_revoke_command(ctx: click.Context, uscc: str, name: str) -> None:
    """Revoke a gateway account; run `diagnose devices broker-auth` and restart Mosquitto to apply."""
    _, engine = _engine(ctx)
    with session_scope(engine) as session:
        gateway = gateway_service.find_gateway(session=session, uscc=uscc, name=name)
        if gateway is None:
            raise click.ClickException(f"no gateway {name} at enterprise {uscc}")
        gateway_service.revoke_gateway(session=session, actor=CLI_ACTOR, gateway=gateway)
    click.echo(f"revoked {uscc}/{name}; now run `diagnose devices broker-auth` and restart Mosquitto")


@gateways_group.command("rotate")
@click.argument("uscc")
@click.argument("name")
@click.pass_context
def gateway_rotate_command(ctx: click.Context, uscc: str, name: str) -> None:
    """Give a gateway account a new password, printed once; then `diagnose devices broker-auth` and restart."""
    _, engine = _engine(ctx)
    with session_scope(engine) as session:
        gateway = gateway_service.find_gateway(session=session, uscc=uscc, name=name)
        if gateway is None:
            raise click.ClickException(f"no gateway {name} at enterprise {uscc}")
        try:
            creds = gateway_service.rotate_gateway_password(
                session=session, actor=CLI_ACTOR, uscc=uscc, gateway=gateway
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"username: {creds.username}")
    click.echo(f"password: {creds.password}")


COMMANDS = (oee_command, devices_group, deadletters_group, gateways_group)


def register(main: click.Group) -> None:
    """Add these commands to the `diagnose` group."""
    for command in COMMANDS:
        main.add_command(command)


@devices_group.command("broker-auth")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Mosquitto dynamic-security JSON to write (plugin_opt_config_file).",
)
@click.option(
    "--edge",
    "edges",
    multiple=True,
    metavar="GROUP/EDGE=PASSWORD_FILE",
    help="A Sparkplug edge node's account, its password read from a file (repeatable).",
)
@click.pass_context
def broker_auth_command(ctx: click.Context, out_path: Path, edges: tuple[str, ...]) -> None:
    """Write every broker account from the registry, then restart Mosquitto to apply.

    Each active device with credentials may publish only its own topics, with its own client id; the
    collector (user and password of DIAGNOSE_MQTT_URL, client id DIAGNOSE_MQTT_CLIENT_ID, and
    "<user>-spb" for its Sparkplug host) reads plant topics. Replaced atomically, mode 0600.
    """
    settings, engine = _engine(ctx)
    address = BrokerAddress.from_url(settings.mqtt_url)
    if not address.username or not address.password:
        raise click.ClickException("DIAGNOSE_MQTT_URL needs the collector's user and password")
    with Session(engine) as session:
        accounts = broker_accounts.registry_accounts(session=session)
        gateway_logins = gateway_service.gateway_broker_accounts(session=session)
    devices_count = len(accounts)
    accounts += gateway_logins
    accounts += broker_accounts.collector_accounts(
        username=address.username, password=address.password, client_id=settings.mqtt_client_id
    )
    for spec in edges:
        name, sep, password_file = spec.partition("=")
        group, slash, edge = name.partition("/")
        if not sep or not slash:
            raise click.BadParameter(f"use GROUP/EDGE=PASSWORD_FILE: {spec!r}", param_hint="--edge")
        password = Path(password_file).read_text(encoding="utf-8").strip()
        accounts.append(broker_accounts.edge_account(group=group, edge=edge, password=password))
    try:
        write_accounts(out_path, accounts)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"wrote {out_path}: {devices_count} devices, collector {address.username}, {len(edges)} edge nodes"
        + (f", {len(gateway_logins)} gateway logins" if gateway_logins else "")
    )
    click.echo("restart Mosquitto to apply: systemctl restart mosquitto")


@devices_group.command("import")
@click.argument("uscc")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check every row and say what would be registered; store nothing."
)
@click.pass_context
def import_command(ctx: click.Context, uscc: str, file: Path, dry_run: bool) -> None:
    """Register an enterprise's devices from a JSON file: a list of devices (external_id, name, kind,
    ideal_cycle_s, networked, protocol, sensor), validated by the API's own schema; none is stored unless all
    are valid."""
    from diagnose.schemas.devices import DeviceImport
    from diagnose.schemas.errors import FieldError, validate
    from diagnose.services.shopfloor import device_import, import_files
    from diagnose.services.shopfloor.import_files import ImportLimits

    try:  # the file's size capped before it is read, and deep nesting refused (DIAGNOSE_IMPORT_MAX_BYTES)
        raw = import_files.load_json(import_files.read_file(file, ImportLimits.of(command_settings())))
    except FieldError as exc:
        raise click.ClickException(f"{file}: {exc.message}") from exc
    _, engine = _engine(ctx)
    try:
        wanted = validate(DeviceImport, {"devices": raw, "dry_run": dry_run})
        with session_scope(engine) as session:
            enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
            if enterprise is None:
                raise click.ClickException(f"no enterprise {uscc}")
            stored = device_import.register_many(
                session=session,
                actor=CLI_ACTOR,
                enterprise_id=enterprise.id,  # type: ignore[arg-type]
                rows=[d.model_dump() for d in wanted.devices],
                dry_run=dry_run,
            )
    except FieldError as exc:
        raise click.ClickException(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
    names = ", ".join(d.external_id for d in wanted.devices)
    click.echo(
        f"would register {len(wanted.devices)}: {names}" if dry_run else f"registered {len(stored)}: {names}"
    )
