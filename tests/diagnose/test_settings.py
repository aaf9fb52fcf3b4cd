"""Settings: documented, typed, refusing a generated secret in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.settings import Settings, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(name: str) -> None:
    assert f"DIAGNOSE_{name.upper()}" in README.read_text(encoding="utf-8")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIAGNOSE_MQTT_URL", "mqtt://broker.example:2883")
    monkeypatch.setenv("DIAGNOSE_VAR_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.mqtt_url == "mqtt://broker.example:2883"
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'diagnose.db'}"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(var_dir=tmp_path).effective_secret_key()
    assert len(first) > 40
    assert load_settings(var_dir=tmp_path).effective_secret_key() == first


def test_production_refuses_a_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DIAGNOSE_SECRET_KEY"):
        load_settings(env="production", var_dir=tmp_path)
