"""`diagnose profiles list|show|set|unset|try`: which payload profile reads each gateway's or device's telemetry."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click
from sqlmodel import select

from apps.cli.context import command_engine
from diagnose.db import session_scope
from diagnose.models import Enterprise
from diagnose.payload_profiles import ProfileError, Record, builtins, load_profile
from diagnose.services.shopfloor import payload_profiles

CLI_ACTOR = "system:cli"


@click.group("profiles")
def profiles_group() -> None:
    """Payload profiles: how the telemetry on plant/{USCC}/{SOURCE}/telemetry is read.

    SOURCE is the topic's third level: a gateway's id (its readings name their devices) or a device's. A
    source without a profile is read as the strict flat JSON (seq required). See docs/collectors.md.
    """


def _enterprise(session, uscc: str) -> Enterprise:  # type: ignore[no-untyped-def]
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).first()
    if enterprise is None:
        raise click.ClickException(f"no enterprise with USCC {uscc}")
    return enterprise  # type: ignore[no-any-return]


@profiles_group.command("list")
@click.argument("uscc", required=False)
def list_command(uscc: str | None) -> None:
    """The built-in profiles, and an enterprise's choices when USCC is given."""
    for name, profile in sorted(builtins().items()):
        click.echo(f"{name}\t{profile.title}\t{profile.source_url}")
    if uscc:
        _, engine = command_engine()
        with session_scope(engine) as session:
            enterprise = _enterprise(session, uscc)
            for choice in payload_profiles.choices(session=session, enterprise_id=enterprise.id):  # type: ignore[arg-type]
                click.echo(f"{uscc}/{choice.source}\t{choice.profile}\t{choice.updated_by}")


@profiles_group.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """A built-in profile's data (a starting point for a custom one)."""
    if name not in builtins():
        raise click.ClickException(f"no built-in profile {name}; see `diagnose profiles list`")
    click.echo(builtins()[name].model_dump_json(indent=2, exclude_defaults=True))


@profiles_group.command("set")
@click.argument("uscc")
@click.argument("source")
@click.argument("profile")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The custom profile's data (JSON), with PROFILE 'custom'.")  # fmt: skip
def set_command(uscc: str, source: str, profile: str, path: Path | None) -> None:
    """Read SOURCE's telemetry of enterprise USCC under PROFILE (a built-in's name, or 'custom' --file F)."""
    spec = path.read_text(encoding="utf-8") if path else None
    _, engine = command_engine()
    try:
        with session_scope(engine) as session:
            enterprise = _enterprise(session, uscc)
            payload_profiles.choose(
                session=session,
                enterprise=enterprise,
                source=source,
                profile=profile,
                spec=spec,
                actor=CLI_ACTOR,
            )
    except ProfileError as exc:
        raise click.ClickException("\n".join(exc.problems)) from exc
    click.echo(f"{uscc}/{source}: {profile}")


@profiles_group.command("unset")
@click.argument("uscc")
@click.argument("source")
def unset_command(uscc: str, source: str) -> None:
    """Back to the strict flat JSON for SOURCE."""
    _, engine = command_engine()
    with session_scope(engine) as session:
        enterprise = _enterprise(session, uscc)
        removed = payload_profiles.remove(
            session=session, enterprise=enterprise, source=source, actor=CLI_ACTOR
        )
    click.echo(f"{uscc}/{source}: {'flat JSON' if removed else 'had no profile'}")


@profiles_group.command("try")
@click.argument("profile")
@click.argument("sample", type=click.File("rb"))
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A custom profile's data (JSON), with PROFILE 'custom'.")  # fmt: skip
@click.option("--source", default="gateway-1", show_default=True, help="The topic's source level.")
def try_command(profile: str, sample, path: Path | None, source: str) -> None:  # type: ignore[no-untyped-def]
    """What the message in SAMPLE ('-': stdin) gives under PROFILE: one JSON line per reading or refusal."""
    try:
        chosen = load_profile(path.read_text(encoding="utf-8")) if path else builtins().get(profile)
    except ProfileError as exc:
        raise click.ClickException("\n".join(exc.problems)) from exc
    if chosen is None:
        raise click.ClickException(f"no built-in profile {profile}; see `diagnose profiles list`")
    sample_uscc = "91320412MA1BQ7X2KL"  # a valid code: the preview checks the message, not the enterprise
    for item in payload_profiles.preview(
        profile=chosen, sample=sample.read(), uscc=sample_uscc, source=source
    ):
        if isinstance(item, Record):
            shown = {k: v for k, v in asdict(item).items() if v not in (None, {}) and k != "uscc"}
            shown["ts"] = item.ts.isoformat()
            click.echo(json.dumps(shown, ensure_ascii=False))
        else:
            click.echo(json.dumps({"refused": item.reason}, ensure_ascii=False))
