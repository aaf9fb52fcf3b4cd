"""The CLI: every command has --help; init-db migrates; status prints the documented keys."""

from __future__ import annotations

import importlib
import json

import click
import pytest
from click.testing import CliRunner
from sqlmodel import Session

from apps.cli import LAZY_COMMANDS, main
from diagnose.settings import Settings
from tests import factories


@pytest.mark.parametrize("command", main.list_commands(click.Context(main)))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_a_lazy_command_is_listed_as_it_reads(name: str) -> None:
    """`diagnose --help` lists the commands it does not import with their own first help paragraph."""
    module, attribute, listed = LAZY_COMMANDS[name]
    command = getattr(importlib.import_module(module), attribute)
    assert command.name == name
    assert (command.help or "").split("\n\n")[0].split() == listed.split()
    assert click.Command(name, help=listed).get_short_help_str(60) == command.get_short_help_str(60)


def test_init_db_then_status_json(db_settings: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["init-db"], obj=db_settings)
    assert result.exit_code == 0, result.output
    assert "revision" in result.output
    from diagnose.db import make_engine

    with Session(make_engine(db_settings)) as session:
        factories.regions(session)
        factories.enterprise(session)
        session.commit()
    result = runner.invoke(main, ["status", "--json"], obj=db_settings)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert {"enterprises", "devices", "devices_seen_5min", "telemetry_messages", "diagnoses"} <= set(counts)
    assert counts["enterprises"] == 1 and counts["telemetry_messages"] == 0 and counts["diagnoses"] == {}


def test_simulate_without_devices_says_what_to_do(db_settings: Settings) -> None:
    runner = CliRunner()
    runner.invoke(main, ["init-db"], obj=db_settings)
    result = runner.invoke(main, ["simulate"], obj=db_settings)
    assert result.exit_code == 2
    assert "no networked devices" in result.output
