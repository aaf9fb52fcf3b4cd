"""Import rules from the architecture: scoring/ is pure; each package imports only what it may; apps/ is the
composition root (the processes and the CLI) and nothing imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_SCORING = {
    "flask",
    "sqlmodel",
    "sqlalchemy",
    "paho",
    "apscheduler",
    "diagnose",
    "collectors",
    "web",
    "reports",
    "requests",
    "psycopg",
    "socket",
    "subprocess",
}
ALLOWED = {
    "apps": {"apps", "collectors", "diagnose", "reports", "scoring", "web"},
    "scoring": {"scoring"},
    "collectors": {"collectors", "diagnose", "scoring"},
    "diagnose": {"diagnose", "scoring"},
    "reports": {"reports", "diagnose", "scoring"},
    "web": {"web", "diagnose", "scoring", "reports"},
}
PROJECT = set(ALLOWED)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module.split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _files(package)
        for name in _imports(path)
        if name in PROJECT and name not in ALLOWED[package]
    ]
    assert bad == []


def test_scoring_is_pure() -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _files("scoring")
        for name in _imports(path)
        if name in FORBIDDEN_IN_SCORING
    ]
    assert bad == []
    environ = [
        str(p.relative_to(ROOT)) for p in _files("scoring") if "os.environ" in p.read_text(encoding="utf-8")
    ]
    assert environ == []


def test_paho_only_in_client_module() -> None:
    users = [str(p.relative_to(ROOT)) for pkg in PROJECT for p in _files(pkg) if "paho" in _imports(p)]
    assert users == ["collectors/client.py"]


def _full_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_apps_parts_keep_to_themselves() -> None:
    """apps/ has three parts: the CLI may use the other two; the processes never reach into the CLI; the demo
    (sample data, embedded broker) is used by the CLI's `demo` command and, as the fallback when Mosquitto is not
    installed, by the local broker runner, nowhere else in the product."""
    uses = {
        (part, str(path.relative_to(ROOT)), name)
        for part in ("cli", "processes", "demo")
        for path in _files(f"apps/{part}")
        for name in _full_imports(path)
        if name.startswith("apps.") and not name.startswith(f"apps.{part}")
    }
    assert not [u for u in uses if u[0] == "processes" and u[2].startswith("apps.cli")]
    assert not [u for u in uses if u[0] == "demo" and u[2].startswith("apps.cli")]
    demo_users = {path for part, path, name in uses if name.startswith("apps.demo") and part != "demo"}
    assert demo_users == {"apps/cli/__init__.py", "apps/processes/broker.py"}


def test_services_are_grouped() -> None:
    """Data access lives in diagnose/services/<group>/: no module is left loose beside the groups."""
    loose = sorted(p.name for p in (ROOT / "diagnose" / "services").glob("*.py") if p.name != "__init__.py")
    assert loose == []
    groups = sorted(
        p.name for p in (ROOT / "diagnose" / "services").iterdir() if (p / "__init__.py").exists()
    )
    assert groups == ["accounts", "audit", "diagnosis", "shopfloor", "supervision", "telemetry"]
