"""Light starts: `diagnose --help`, a web worker serving pages and a collector import no heavy library
until one is used (after click's `tests/test_imports.py`: a fresh interpreter reports what it imported)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Libraries a process loads only for the work that needs them: model fitting and loading (scikit-learn,
# SciPy, skops), report charts and PDFs (matplotlib, WeasyPrint, python-docx, Playwright), spreadsheets.
HEAVY = ("sklearn", "scipy", "skops", "matplotlib", "weasyprint", "docx", "playwright", "openpyxl")

PROGRAMS = {
    "cli --help": """
from click.testing import CliRunner
from apps.cli import main
result = CliRunner().invoke(main, ["--help"])
assert result.exit_code == 0, result.output
""",
    "web worker": """
from diagnose import migrate
from diagnose.db import make_engine
from diagnose.settings import Settings
from web import create_app
url = "sqlite:///" + {db!r}
migrate.upgrade(make_engine(url=url))
app = create_app(Settings(database_url=url, secret_key="k" * 40, env="test"), {{"TESTING": True}})
client = app.test_client()
for path in ("/healthz", "/login", "/verify"):
    assert client.get(path).status_code == 200, path
""",
    "collector": """
import collectors.service, collectors.writer, collectors.sparkplug.host
""",
}

REPORT = """
import json, sys
heavy = {heavy!r}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}})))
"""


def _imported_heavy(program: str) -> list[str]:
    code = program + REPORT.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_starts_without_heavy_libraries(name: str, tmp_path: Path) -> None:
    program = PROGRAMS[name].format(db=str(tmp_path / "imports.db"))
    assert _imported_heavy(program) == []


def test_cli_help_imports_no_database_code() -> None:
    """`diagnose --help` lists the sub-commands without importing them (apps.cli.LAZY_COMMANDS): no ORM,
    migrations, models or services, which took it from a fifth of a second to several."""
    program = (
        PROGRAMS["cli --help"]
        + """
import json, sys
print(json.dumps(sorted({m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "alembic")}
                        | {m for m in sys.modules if m.startswith(("diagnose.", "scoring", "apps.cli."))})))
"""
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["diagnose.observability"]


@pytest.mark.slow
def test_the_check_sees_a_heavy_import() -> None:
    assert _imported_heavy("import scoring.ml.state_inference as s\ns.fit_state_model(list(range(40)))") == [
        "scipy",
        "sklearn",
    ]
