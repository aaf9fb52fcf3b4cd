"""Every benchmark under bench/ runs in its smallest size and prints its figures, so none can rot.

No figure is judged here (speed is read off `make bench`); a benchmark that crashes, cannot reach its broker
or database, or finds its two paths disagreeing (lost messages, other roadmaps, other OEE) fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.processes.broker import free_port

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("DIAGNOSE_TEST_POSTGRES_URL", "")

# (bench file, smallest arguments, a line its figures always print, markers)
SMALLEST: list[tuple[str, list[str], str, tuple[pytest.MarkDecorator, ...]]] = [
    ("score_bench.py", ["--assessments", "50"], "ratio score time / baseline time", ()),
    ("roadmap_bench.py", ["--candidates", "12", "--cases", "1", "--rounds", "1"], "ratio baseline / new", ()),
    ("anomaly_model_bench.py", ["--train", "60", "--test", "200"], "ratio: model F1 / z-rule F1", ()),
    (
        "state_inference_bench.py",
        ["--samples", "2000", "--seeds", "1", "--machines", "1"],
        "gmm time / fixed time",
        (),
    ),
    (
        "ingest.py",
        ["--messages", "400", "--publishers", "2", "--rounds", "1", "--format", "both"],
        "ratio collector / ceiling",
        (pytest.mark.broker,),
    ),
    ("partition_bench.py", ["--devices", "2"], "ratio roll-ups time / raw time", ()),
    (
        "rollup_bench.py",
        [
            "--days",
            "0.05",
            "--devices",
            "2",
            "--hz",
            "0.2",
            "--backend",
            "postgresql" if POSTGRES else "sqlite",
        ],
        "roll-up raw rows/s",
        (),
    ),
    (
        "report_bench.py",
        ["--devices", "1", "--runs", "1", "--quick"],
        "fastest new engine",
        (pytest.mark.browser,),
    ),
    (
        "startup_bench.py",
        ["--runs", "1", "--no-fresh-demo"],
        "demo to login page (second start)",
        (pytest.mark.broker, pytest.mark.xdist_group("demo")),  # a whole demo: never beside the demo tests
    ),
    (
        "web_load.py",
        ["--orders", "200", "--enterprises", "3", "--users", "2", "--seconds", "6", "--warmup", "1"],
        "req/s",
        (),
    ),
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    if POSTGRES:  # the benches' scratch databases go on the tests' server
        env["DIAGNOSE_BENCH_POSTGRES_URL"] = POSTGRES
        env.setdefault("DIAGNOSE_TEST_POSTGRES_URL", POSTGRES)
    return env


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bench", "args", "figure"),
    [pytest.param(b, a, f, marks=m, id=b.removesuffix(".py")) for b, a, f, m in SMALLEST],
)
def test_bench_runs_in_its_smallest_size(bench: str, args: list[str], figure: str) -> None:
    if bench == "web_load.py":
        args = [*args, "--port", str(free_port())]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{bench} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert figure in done.stdout, done.stdout[-3000:]


def test_every_bench_is_run_here_and_by_make_bench() -> None:
    benches = sorted(p.name for p in (ROOT / "bench").glob("*.py"))
    assert sorted(b for b, *_ in SMALLEST) == benches
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert [b for b in benches if f"bench/{b}" not in makefile] == []
