"""`diagnose policies`: load a new policy version as data (validated, quotes checked, diffed), publish, list."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlmodel import select

from apps.cli.context import command_engine, command_settings
from diagnose.db import session_scope
from diagnose.models import User
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import policy_store
from diagnose.services.shopfloor import import_files
from diagnose.services.shopfloor.import_files import ImportLimits


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _actor(session: Any, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _fail(f"--as: no active user {username!r}")
    return user  # type: ignore[return-value]


def _print_preview(found: policy_store.Preview) -> None:
    draft = found.draft
    end = draft.valid_to.isoformat() if draft.valid_to else "open"
    against = f"against {found.replaces}" if found.replaces else "a new policy"
    sample = " [SAMPLE]" if draft.sample else ""
    click.echo(
        f"draft #{draft.id}: {draft.policy_id} v{draft.version}{sample}, region {draft.region_code}, "
        f"effective {draft.valid_from.isoformat()} to {end}; diff {against}:"
    )
    for change in found.changes:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        click.echo(f"  {change.kind:8} {change.item}{fields}")
        if change.before:
            click.echo(f"           - {change.before}")
        if change.after:
            click.echo(f"           + {change.after}")
    if not found.changes:
        click.echo("  (no change)")


@click.group("policies")
def policies_command() -> None:
    """Policy versions as maintained data: import a policy file, publish it, list versions."""


@policies_command.command("import")
@click.argument("policy_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--source",
    "source_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The policy's text; default: the file named by source_file next to POLICY.json.",
)
@click.option("--as", "username", required=True, help="The admin or bureau user loading it (jurisdiction).")
@click.option("--publish", is_flag=True, help="Publish right after showing the diff.")
def import_command(policy_path: Path, source_path: Path | None, username: str, publish: bool) -> None:
    """Validate POLICY.json against the catalogue schema and its source text, store a draft, show the diff."""
    limits = ImportLimits.of(command_settings())
    try:
        document = import_files.load_json(import_files.read_file(policy_path, limits))
    except OSError as exc:
        _fail(f"{policy_path}: cannot read ({exc.strerror})")
        return
    except ValidationError as exc:
        _fail(f"{policy_path}: {exc.message}")
        return
    if source_path is None and isinstance(document, dict) and document.get("source_file"):
        source_path = policy_path.parent / str(document["source_file"])
    if source_path is None:
        _fail("--source: the policy's source text is required")
        return
    try:
        source_text = import_files.read_file(source_path, limits).decode("utf-8")
    except OSError as exc:
        _fail(f"{source_path}: cannot read the source text ({exc.strerror})")
        return
    except (ValidationError, UnicodeDecodeError) as exc:
        _fail(f"{source_path}: {getattr(exc, 'message', 'must be UTF-8 text')}")
        return
    engine = command_engine()[1]
    try:
        with session_scope(engine) as session:
            actor = _actor(session, username)
            found = policy_store.import_draft(
                session=session, actor=actor, document=document, source_text=source_text
            )
            _print_preview(found)
            if publish:
                row = policy_store.publish(session=session, actor=actor, version_id=found.draft.id or 0)
                click.echo(f"published {row.policy_id} v{row.version}")
            else:
                click.echo(f"not in force yet: `diagnose policies publish {found.draft.id} --as {username}`")
    except ValidationError as exc:
        _fail(f"refused: {exc.message}")


@policies_command.command("publish")
@click.argument("version_id", type=int)
@click.option("--as", "username", required=True, help="The admin or bureau user publishing it.")
def publish_command(version_id: int, username: str) -> None:
    """Put draft VERSION_ID in force; the version it replaces is kept as superseded."""
    engine = command_engine()[1]
    try:
        with session_scope(engine) as session:
            actor = _actor(session, username)
            row = policy_store.get_version(session=session, version_id=version_id, actor=actor)
            _print_preview(policy_store.preview(session=session, draft=row))
            row = policy_store.publish(session=session, actor=actor, version_id=version_id)
            click.echo(f"published {row.policy_id} v{row.version}")
    except ValidationError as exc:
        _fail(f"refused: {exc.message}")


@policies_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """Every stored version (draft, published, superseded) and the catalogue version in force."""
    engine = command_engine()[1]
    with session_scope(engine) as session:
        rows = policy_store.versions(session=session)
        catalogue = policy_store.catalogue(session=session)
        items = [
            {
                "id": r.id,
                "policy": r.policy_id,
                "version": r.version,
                "status": r.status,
                "region": r.region_code,
                "valid_from": r.valid_from.isoformat(),
                "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                "sample": r.sample,
            }
            for r in rows
        ]
        versions = policy_store.policy_versions_of(catalogue)
    if as_json:
        payload = {"catalogue_version": catalogue.version, "in_force": versions, "versions": items}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"catalogue {catalogue.version}: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    )
    for item in items:
        click.echo(
            f"#{item['id']}\t{item['policy']} v{item['version']}\t{item['status']}\t{item['region']}\t"
            f"{item['valid_from']}–{item['valid_to'] or 'open'}" + ("\tSAMPLE" if item["sample"] else "")
        )
