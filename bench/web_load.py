"""Benchmark: 20 logged-in users of every role browsing `diagnose serve` over 100,000 diagnoses.

The dataset is the demo's sample data plus 500 generated enterprises and 100,000 generated diagnosis orders
(bulk inserted, spread over the demo's bureaus, providers and statuses), and one issued report. The server
is the real `diagnose serve` (gunicorn gthread workers) on loopback, started in its own process; the bench
waits for it to answer (a ready signal, not a sleep), then 20 user threads (bureaus, providers, enterprises,
an admin) log in and browse their pages for a bounded time, reading each page for an exponentially distributed
think time (mean 1 s, far quicker than people; `--think 0` gives the saturation figures), after a warm-up that
is not recorded. Printed: requests/s and p50/p95/p99 per page
pattern. Target: p95 ≤ 150 ms for every pattern, report pages included.

In the same run, after the browse with think time: the same users browsing with no think time (saturation),
and a minimal Flask page (one short string, no database) served by gunicorn with the same settings
(workers, gthread threads) and hit by as many users with no think time. Printed: the ratio of the two
throughputs (target ≥ 0.5), so that the figure does not depend on how loaded the machine is.

    python bench/web_load.py [--orders 100000 --enterprises 500 --users 20 --seconds 60 --port 8113]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

# This checkout's packages, as `diagnose serve` (run with `python -m apps` from here) uses them: the venv's
# editable install may point at another checkout, whose schema may be newer.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import Bureau, BureauProvider, DiagnosisOrder, Enterprise, OrderStatus
from diagnose.settings import Settings
from scoring.uscc import make_uscc

PASSWORD = "demo-2026!"
STATUSES = [s.value for s in OrderStatus]
READY_TIMEOUT_S = 120
TARGET_P95_S = 0.150
TARGET_RATIO = 0.5  # the app's no-think throughput against the minimal Flask page's (#24 point 4)


def generate(url: str, *, orders: int, enterprises: int) -> None:
    """Demo data, then `enterprises` enterprises and `orders` orders bulk inserted, and one issued report."""
    from apps.demo import sample_data

    engine = make_engine(url=url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        sample_data.load(session)
        session.commit()
        bureaus = session.exec(select(Bureau)).all()
        pools = {
            b.id: [
                bp.provider_id
                for bp in session.exec(select(BureauProvider).where(BureauProvider.bureau_id == b.id))
            ]
            for b in bureaus
        }
        regions = {b.id: b.region_code for b in bureaus}
        now = datetime.now(UTC)
        rows = []
        for i in range(enterprises):
            bureau = bureaus[i % len(bureaus)]
            rows.append({
                "uscc": make_uscc(f"91{regions[bureau.id]}MB{i:07d}"), "name": f"负载测试企业{i:04d}有限公司",
                "region_code": regions[bureau.id], "industry_code": "3421", "industry_type": "discrete",
                "scale": "medium", "revenue_fen": 10_000_000, "strategic_emerging": False, "created_at": now,
            })  # fmt: skip
        session.connection().execute(insert(Enterprise), rows)
        generated = session.exec(
            select(Enterprise.id, Enterprise.region_code).where(Enterprise.name.like("负载测试企业%"))
        ).all()  # type: ignore[attr-defined]
        by_region: dict[str, list[int]] = defaultdict(list)
        for enterprise_id, region in generated:
            by_region[region].append(enterprise_id)
        rnd = random.Random(13)
        batch = []
        for n in range(orders):
            bureau = bureaus[n % len(bureaus)]
            status = rnd.choice(STATUSES)
            created = now - timedelta(minutes=n)
            batch.append({
                "number": f"LT{n:07d}", "bureau_id": bureau.id, "batch_id": None,
                "enterprise_id": rnd.choice(by_region[regions[bureau.id]]),
                "provider_id": None if status == "created" else rnd.choice(pools[bureau.id]),
                "kind": "factory", "fee_fen": 3_000_000, "status": status, "due_date": date.today(),
                "created_at": created, "updated_at": created,
            })  # fmt: skip
            if len(batch) == 5000:
                session.connection().execute(insert(DiagnosisOrder), batch)
                batch = []
        if batch:
            session.connection().execute(insert(DiagnosisOrder), batch)
        session.commit()
        import reports

        accepted = session.exec(
            select(DiagnosisOrder).where(
                DiagnosisOrder.status == "accepted", DiagnosisOrder.number.not_like("LT%")
            )  # type: ignore[attr-defined]
        ).first()
        if accepted is not None:
            reports.issue_report(session=session, order=accepted, actor="bench", lang="zh")
            session.commit()
    engine.dispose()


class Client:
    """A logged-in browser: one keep-alive connection, its session cookie, latencies per page pattern."""

    def __init__(self, port: int, username: str, timings: dict[str, list[float]], errors: list[str]) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.timings = timings
        self.errors = errors
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, method: str, path: str, body: str | None = None, *, record: bool = True
    ) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                # The server closed the idle keep-alive connection (gunicorn's keepalive is 2 s): a browser
                # opens a new one and sends the request again, and so does this user, once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2 or method != "GET":  # only a GET is sent again, as browsers do
                    self.errors.append(f"{path}: {type(exc).__name__}")
                    return 0, "", ""
            except (http.client.HTTPException, OSError) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.errors.append(f"{path}: {type(exc).__name__}")
                return 0, "", ""
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if record and RECORDING.is_set():
            self.timings[pattern(path)].append(elapsed)
            if response.status >= 400:
                self.errors.append(f"{pattern(path)} {response.status}")
        return response.status, response.getheader("Location") or "", text

    def login(self) -> None:
        _, _, page = self.request("GET", "/login", record=False)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise SystemExit("web_load: the login page has no CSRF token")
        form = urllib.parse.urlencode(
            {"username": self.username, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        status, _, _ = self.request("POST", "/login", form, record=False)
        if status != 302:
            raise SystemExit(f"web_load: login of {self.username} answered {status}")


def pattern(path: str) -> str:
    """/orders/123/report?version=1 → /orders/{id}/report?version"""
    base, _, query = path.partition("?")
    base = re.sub(r"/\d+", "/{id}", base)
    keys = "&".join(sorted(k for k, _ in urllib.parse.parse_qsl(query)))
    return f"{base}?{keys}" if keys else base


def order_ids(client: Client) -> list[int]:
    """Order ids on the user's first two list pages."""
    ids: list[int] = []
    for page in (1, 2):
        _, _, text = client.request("GET", f"/orders?page={page}", record=False)
        ids += [int(i) for i in re.findall(r'href="/orders/(\d+)"', text)]
    return sorted(set(ids)) or [0]


SKIP: tuple[str, ...] = ()
RECORDING = threading.Event()
RECORDING.set()


def browse(
    client: Client, role: str, stop: threading.Event, report_orders: list[int], think_s: float = 0.0
) -> None:
    """One user's loop over its role's pages until `stop`."""
    rnd = random.Random(client.username)
    client.login()
    mine = order_ids(client) if role != "admin" else []
    # Report pages of the orders this user may see (a report of another party's order is a 404).
    reports_seen = [
        o for o in report_orders if client.request("GET", f"/orders/{o}/report", record=False)[0] == 200
    ]
    pages: list[str]
    while not stop.is_set():
        order = rnd.choice(mine) if mine else 0
        report = rnd.choice(reports_seen) if reports_seen else None
        if role == "bureau":
            pages = ["/bureau/dashboard", f"/orders?page={rnd.randint(1, 50)}", f"/orders/{order}",
                     "/orders?status=submitted", "/bureau/supervision/"]  # fmt: skip
        elif role == "provider":
            pages = [f"/orders?page={rnd.randint(1, 20)}", f"/orders/{order}"]
        elif role == "enterprise":
            pages = ["/orders", f"/orders/{order}", "/enterprise/devices"]
        else:
            pages = ["/admin/users"]
        if report is not None:
            pages.append(f"/orders/{report}/report")
        for path in pages:
            if stop.is_set():
                return
            if not path.startswith(SKIP or ("\0",)):
                client.request("GET", path)
                # A person reads the page before the next click: exponential think time around the mean.
                if think_s > 0 and stop.wait(rnd.expovariate(1 / think_s)):
                    return


USERS = [
    ("wujin", "bureau"), ("taicang", "bureau"), ("provider1", "provider"), ("provider2", "provider"),
    ("provider3", "provider"), ("ent1", "enterprise"), ("ent2", "enterprise"), ("ent3", "enterprise"),
    ("ent4", "enterprise"), ("ent5", "enterprise"), ("ent6", "enterprise"), ("ent7", "enterprise"),
    ("ent8", "enterprise"), ("admin", "admin"),
]  # fmt: skip


def redis_answers(url: str) -> bool:
    """True when a Redis answers PING at the URL."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def wait_ready(port: int, server: subprocess.Popen[bytes], path: str = "/login") -> None:
    """Until the server answers `path` with 200 (its ready signal), or fail with a message."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"web_load: diagnose serve exited with {server.returncode} before it was ready (its log: serve.log)"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)  # the interval between readiness probes
    raise SystemExit(f"web_load: diagnose serve did not answer on port {port} within {READY_TIMEOUT_S} s")


MINIMAL_APP = """
import sys
from flask import Flask
from gunicorn.app.base import BaseApplication

app = Flask("minimal")


@app.get("/")
def page():
    return "<!doctype html><title>minimal</title><p>ok</p>"


class Minimal(BaseApplication):
    def load_config(self):  # the settings apps/processes/server.py gives `diagnose serve`
        self.cfg.set("bind", "127.0.0.1:" + sys.argv[1])
        self.cfg.set("workers", int(sys.argv[2]))
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", int(sys.argv[3]))
        self.cfg.set("accesslog", None)
        self.cfg.set("graceful_timeout", 5)
        self.cfg.set("control_socket_disable", True)

    def load(self):
        return app


Minimal().run()
"""


def browse_minimal(client: Client, stop: threading.Event) -> None:
    """A user asking the minimal page again and again, with no think time."""
    while not stop.is_set():
        client.request("GET", "/")


def run_phase(
    port: int, users: int, warmup: float, seconds: float, target: Callable[[Client, threading.Event], None]
) -> tuple[dict[str, list[float]], list[str], float]:
    """`users` threads running `target` for warm-up then `seconds`: timings per page pattern, errors, time."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=target, args=(Client(port, USERS[i % len(USERS)][0], timings, errors), stop),
                         daemon=True)
        for i in range(users)
    ]  # fmt: skip
    RECORDING.clear()
    for thread in threads:
        thread.start()
    # Warm-up, not recorded: each worker's first views compile templates and read the shared figures.
    stop.wait(warmup)
    timings.clear()
    errors.clear()
    RECORDING.set()
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    return timings, errors, time.perf_counter() - began


def minimal_floor(args: argparse.Namespace, folder: Path) -> float:
    """Requests/s of the minimal Flask page on the same gunicorn settings, `args.users` users, no think."""
    from apps.processes.broker import free_port

    port = free_port()
    script = folder / "minimal_app.py"
    script.write_text(MINIMAL_APP, encoding="utf-8")
    log = (folder / "minimal.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, str(script), str(port), str(args.workers), str(Settings().web_threads)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_ready(port, server, path="/")
        timings, errors, elapsed = run_phase(
            port, args.users, args.warmup, args.seconds, lambda c, stop: browse_minimal(c, stop)
        )
    finally:
        stop_server(server)
        log.close()
    total = sum(len(v) for v in timings.values())
    print(f"minimal Flask page, same gunicorn settings, {args.users} users, no think time: "
          f"{total / elapsed:.1f} req/s, {len(errors)} errors")  # fmt: skip
    return total / elapsed


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):  # it may have exited on its own (its log says why)
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def print_table(timings: dict[str, list[float]], elapsed: float) -> float:
    """Requests/s and p50/p95/p99 per page pattern; returns the worst p95 in seconds."""
    print(f"{'page pattern':42}{'n':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    worst = 0.0
    for name in sorted(timings):
        values = sorted(timings[name])
        q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
        worst = max(worst, q[94])
        print(
            f"{name:42}{len(values):>7}{len(values) / elapsed:>8.1f}{q[49] * 1000:>9.0f}{q[94] * 1000:>9.0f}{q[98] * 1000:>9.0f}"
        )
    return worst


def main() -> None:
    """Generate, serve, browse, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8113)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers (more than 1 needs Redis for the login limit)",
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/15", help="the workers' shared rate-limit store"
    )
    parser.add_argument("--warmup", type=float, default=10, help="seconds browsed before recording starts")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a user reads a page before the next (0: none)"
    )
    parser.add_argument(
        "--database-url", default="", help="an empty database; default: SQLite in a temp folder"
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated path prefixes not to browse (to isolate one)"
    )
    parser.add_argument(
        "--no-saturation", action="store_true", help="skip the no-think browse after the one with think time"
    )
    parser.add_argument("--keep", default="", help="a SQLite file: generated once, reused on later runs")
    args = parser.parse_args()
    global SKIP
    SKIP = tuple(p for p in args.skip.split(",") if p)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{args.keep or folder / 'load.db'}"
        started = time.perf_counter()
        if args.keep and Path(args.keep).exists():
            migrate.upgrade(make_engine(url=url))
        else:
            generate(url, orders=args.orders, enterprises=args.enterprises)
        from apps.processes.jobs import refresh_figures, refresh_planner_statistics

        refresh_planner_statistics(make_engine(url=url), Settings())  # as `diagnose jobs` does every 6 h
        figures_started = time.perf_counter()
        refresh_figures(make_engine(url=url), Settings())  # as `diagnose jobs` does when the orders change
        print(
            f"figures built ahead (the jobs process's refresh_figures): {time.perf_counter() - figures_started:.1f} s"
        )
        print(
            f"dataset: {args.orders:,} orders, {args.enterprises} enterprises in {time.perf_counter() - started:.0f} s"
        )
        env = {
            **os.environ, "DIAGNOSE_DATABASE_URL": url, "DIAGNOSE_VAR_DIR": str(folder / "var"),
            "DIAGNOSE_WEB_HOST": "127.0.0.1", "DIAGNOSE_WEB_PORT": str(args.port),
            "DIAGNOSE_SECRET_KEY": "bench-secret", "DIAGNOSE_LOGIN_RATE_LIMIT": "100000 per minute",
            "DIAGNOSE_AUDIT_KEY": secrets.token_hex(32),  # production refuses the development key
            "DIAGNOSE_ENV": "production", "DIAGNOSE_WEB_WORKERS": str(args.workers),
        }  # fmt: skip
        if args.workers > 1:
            if not redis_answers(args.redis):
                raise SystemExit(
                    f"web_load: {args.workers} workers share their login limit through Redis, and none answers at "
                    f"{args.redis}; start one or pass --workers 1"
                )
            env["DIAGNOSE_RATELIMIT_STORAGE_URL"] = args.redis
        # The server's log goes to a file: a pipe nobody reads fills after a few hundred access-log lines
        # and then blocks every worker on its next log write.
        server_log = (folder / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "apps", "serve"], env=env, stdout=server_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_ready(args.port, server)
            engine = make_engine(url=url)
            with Session(engine) as session:
                from diagnose.models import IssuedReport

                report_orders = sorted({r.order_id for r in session.exec(select(IssuedReport)).all()})
                report_orders += [
                    o.id
                    for o in session.exec(
                        select(DiagnosisOrder).where(
                            DiagnosisOrder.status.in_(["submitted", "accepted"]),
                            DiagnosisOrder.number.not_like("LT%"),
                        )  # type: ignore[attr-defined]
                    ).all()
                    if o.id is not None
                ]
            engine.dispose()

            def user(client: Client, stop: threading.Event, think: float) -> None:
                browse(client, dict(USERS)[client.username], stop, report_orders, think)

            timings, errors, elapsed = run_phase(
                args.port, args.users, args.warmup, args.seconds, lambda c, stop: user(c, stop, args.think)
            )
            saturated: tuple[dict[str, list[float]], list[str], float] | None = None
            if args.think > 0 and not args.no_saturation:  # the same users with no think time
                saturated = run_phase(
                    args.port, args.users, args.warmup, args.seconds, lambda c, stop: user(c, stop, 0.0)
                )
        finally:
            exited_early = server.poll() is not None
            stop_server(server)
            server_log.close()
            log_lines = (folder / "serve.log").read_text(errors="replace").splitlines()
            if exited_early:
                print("\n".join(["diagnose serve's log, last lines:", *log_lines[-20:]]), file=sys.stderr)
            failures = [line for line in log_lines if '"status": 5' in line or "Traceback" in line]
            if failures:
                print(f"server log: {len(failures)} 5xx/traceback lines, first: {failures[0][:300]}")
        floor = minimal_floor(args, folder)
    total = sum(len(v) for v in timings.values())
    print(
        f"{args.users} users (think time {args.think:g} s, after {args.warmup:g} s warm-up), {args.workers} workers, {elapsed:.0f} s: {total} requests, {total / elapsed:.1f} req/s, {len(errors)} errors"
    )
    if errors:
        print("  errors:", ", ".join(f"{e} ×{errors.count(e)}" for e in sorted(set(errors))[:10]))
    worst = print_table(timings, elapsed)
    verdict = "PASS" if worst <= TARGET_P95_S and not errors else "FAIL"
    print(
        f"worst p95 {worst * 1000:.0f} ms (target ≤ {TARGET_P95_S * 1000:.0f} ms for every pattern): {verdict}"
    )
    if saturated is not None:
        timings, errors, elapsed = saturated
        total = sum(len(v) for v in timings.values())
        print(
            f"\n{args.users} users, no think time (saturation), {elapsed:.0f} s: {total} requests, "
            f"{total / elapsed:.1f} req/s, {len(errors)} errors"
        )
        print_table(timings, elapsed)
    rate = total / elapsed
    ratio = rate / floor if floor else 0.0
    print(
        f"ratio no-think req/s / minimal Flask req/s: {ratio:.2f} ({rate:.1f} / {floor:.1f}; target ≥ "
        f"{TARGET_RATIO:g}): {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    load = os.getloadavg()
    print(
        f"machine load average (1, 5, 15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
