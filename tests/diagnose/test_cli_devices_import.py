"""`diagnose devices import`: the CLI validates with the API's schema and stores all rows or none."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli.collect import register
from diagnose.models import Device
from diagnose.settings import Settings
from tests import factories


def _ids(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(Device.external_id)).all())


def test_import_dry_run_then_for_real_and_a_bad_file(
    engine: Engine, db_settings: Settings, tmp_path: Path
) -> None:
    with Session(engine) as session:
        factories.regions(session)
        uscc = factories.enterprise(session).uscc
        session.commit()
    cli = click.Group("diagnose")
    register(cli)
    good = tmp_path / "devices.json"
    good.write_text(
        json.dumps([{"external_id": "CNC-01", "kind": "CNC", "ideal_cycle_s": 42}, {"external_id": "CNC-02"}])
    )
    dry = CliRunner().invoke(cli, ["devices", "import", uscc, str(good), "--dry-run"], obj=db_settings)
    assert dry.exit_code == 0, dry.output
    assert "would register 2: CNC-01, CNC-02" in dry.output and _ids(engine) == set()
    done = CliRunner().invoke(cli, ["devices", "import", uscc, str(good)], obj=db_settings)
    assert done.exit_code == 0 and _ids(engine) == {"CNC-01", "CNC-02"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"external_id": "CNC-03"}, {"external_id": "CNC/04"}]))
    refused = CliRunner().invoke(cli, ["devices", "import", uscc, str(bad)], obj=db_settings)
    assert refused.exit_code != 0 and "devices.1.external_id" in refused.output
    assert _ids(engine) == {"CNC-01", "CNC-02"}


def test_an_oversized_or_too_deep_file_is_refused_before_parsing(
    db_settings: Settings, tmp_path: Path
) -> None:
    cli = click.Group("diagnose")
    register(cli)
    small = db_settings.model_copy(update={"import_max_bytes": 4096})
    big = tmp_path / "big.json"
    big.write_text(json.dumps([{"external_id": f"D{n}"} for n in range(1000)]))
    refused = CliRunner().invoke(cli, ["devices", "import", "X", str(big)], obj=small)
    assert refused.exit_code != 0 and "is larger than" in refused.output
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    refused = CliRunner().invoke(cli, ["devices", "import", "X", str(deep)], obj=db_settings)
    assert refused.exit_code != 0 and "nested too deep" in refused.output
