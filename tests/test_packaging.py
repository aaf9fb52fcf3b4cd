"""Dependencies: every third-party module the packages import is a declared dependency; amqtt is only the
demo's optional extra, imported lazily with a clear message when missing."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from apps.demo import embedded_broker
from apps.processes import broker

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("apps", "collectors", "diagnose", "reports", "scoring", "web")


def _declared(names: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", n, maxsplit=1)[0].lower().replace("_", "-") for n in names}


def _imported_top_level(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_every_direct_import_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _declared(project["dependencies"])
    demo = _declared(project["optional-dependencies"]["demo"])
    assert "amqtt" not in runtime and demo == {"amqtt"}
    # The Chromium PDF engine (DIAGNOSE_REPORT_PDF_ENGINE=chromium) is an opt-in extra, imported lazily.
    chromium = _declared(project["optional-dependencies"]["chromium-pdf"])
    dists = packages_distributions()
    missing = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for module in _imported_top_level(path) - set(sys.stdlib_module_names) - set(PACKAGES):
                names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
                if not names & (runtime | demo | chromium):
                    missing.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(names))})")
    assert missing == []


def test_amqtt_is_imported_only_when_the_embedded_broker_runs() -> None:
    source = (ROOT / "apps" / "demo" / "embedded_broker.py").read_text()
    assert "\nfrom amqtt" not in source and "\nimport amqtt" not in source


def test_a_missing_demo_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embedded_broker, "available", lambda: False)
    with pytest.raises(RuntimeError, match=re.escape("diagnose[demo]")):
        broker.start_local_broker(workdir=tmp_path, prefer="amqtt")
