"""Benchmark: how long a user waits for things to start, against the bare interpreter in the same run.

Measured (median of `--runs`), each in a fresh process on a warm virtualenv (bytecode compiled):
- the baseline: `python -c pass`;
- `diagnose --help`;
- a web worker: import the app, build it, answer /login (what a gunicorn worker does before its first page);
- `diagnose demo` until its login page answers, on the database the first start prepared (a second start),
  and, once, on a new database (sample data scored on a simulated week first).

    python bench/startup_bench.py [--runs 3] [--no-fresh-demo]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.processes.broker import answers, free_port  # noqa: E402

DEMO_TIMEOUT_S = 300
WEB_WORKER = """
import sys, tempfile
from diagnose import migrate
from diagnose.db import make_engine
from diagnose.settings import Settings
url = "sqlite:///" + sys.argv[1]
from web import create_app
app = create_app(Settings(database_url=url, secret_key="k" * 40, env="test"), {"TESTING": True})
assert app.test_client().get("/login").status_code == 200
"""


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds a command takes to finish; it must succeed."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT, timeout=600)
    return time.perf_counter() - started


def demo_to_login(var_dir: Path) -> float:
    """Seconds from starting `diagnose demo` to its login page answering; the demo is stopped after."""
    web_port, mqtt_port = free_port(), free_port()
    env = {
        **os.environ,
        "DIAGNOSE_VAR_DIR": str(var_dir),
        "DIAGNOSE_WEB_PORT": str(web_port),
        "DIAGNOSE_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
    }
    env.pop("DIAGNOSE_DATABASE_URL", None)
    var_dir.mkdir(parents=True, exist_ok=True)
    printed = var_dir.parent / f"{var_dir.name}-output.txt"
    started = time.perf_counter()
    with printed.open("ab") as output:
        demo = subprocess.Popen(
            [sys.executable, "-m", "apps", "demo"], env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + DEMO_TIMEOUT_S
        while not answers("127.0.0.1", web_port, 0.1):
            if demo.poll() is not None:
                # The folder goes with the bench: say here what the demo said (CI saw only an exit code).
                raise SystemExit(
                    f"startup_bench: diagnose demo exited with {demo.returncode}; it printed:\n"
                    + printed.read_text(errors="replace")[-3000:]
                    + "".join(
                        f"\n--- {log.name}:\n{log.read_text(errors='replace')[-1500:]}"
                        for log in sorted((var_dir / "logs").glob("*.log"))
                    )
                )
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"startup_bench: the demo's login page did not answer within {DEMO_TIMEOUT_S} s"
                )
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=60) as response:
            assert response.status == 200
        return time.perf_counter() - started
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()


def main() -> None:
    """Print each start's median seconds and its ratio to the bare interpreter's."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-fresh-demo", action="store_true", help="skip the demo start on a new database")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="diagnose-startup-") as tmp:
        folder = Path(tmp)
        db = folder / "worker.db"
        from diagnose import migrate
        from diagnose.db import make_engine

        migrate.upgrade(make_engine(url=f"sqlite:///{db}"))
        rows: dict[str, list[float]] = {
            "python -c pass": [],
            "diagnose --help": [],
            "web worker to /login": [],
        }
        for _ in range(args.runs):  # interleaved, so machine load hits each alike
            rows["python -c pass"].append(timed([python, "-c", "pass"]))
            # `python -m apps` is the `diagnose` command of this checkout (the venv's script may be another's)
            rows["diagnose --help"].append(timed([python, "-m", "apps", "--help"]))
            rows["web worker to /login"].append(timed([python, "-c", WEB_WORKER, str(db)]))
        fresh = None if args.no_fresh_demo else demo_to_login(folder / "demo")
        rows["demo to login page (second start)"] = [demo_to_login(folder / "demo") for _ in range(args.runs)]
    base = statistics.median(rows["python -c pass"])
    print(f"load average at the end: {os.getloadavg()[0]:.2f}; median of {args.runs} run(s)")
    for name, values in rows.items():
        median = statistics.median(values)
        print(f"{name:36} {median:7.2f} s   {median / base:6.1f}× the bare interpreter")
    if fresh is not None:
        print(
            f"{'demo to login page (new database)':36} {fresh:7.2f} s   {fresh / base:6.1f}× the bare interpreter"
        )


if __name__ == "__main__":
    main()
