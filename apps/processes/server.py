"""Run the web app: gunicorn with several workers (sessions live in signed cookies), or Flask's dev server."""

from __future__ import annotations

import gc
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from diagnose.settings import Settings


def effective_workers(settings: Settings) -> int:
    """gunicorn workers: as configured with a shared limiter store (Redis), else one, said out loud.

    Login limits kept in each worker's memory would multiply by the number of workers.
    """
    if settings.web_workers <= 1 or not settings.ratelimit_storage_url.startswith("memory://"):
        return settings.web_workers
    print(
        f"diagnose serve: DIAGNOSE_RATELIMIT_STORAGE_URL is memory://, so running 1 worker instead of "
        f"{settings.web_workers} (each would keep its own login limit); set it to redis://… for more",
        file=sys.stderr,
    )
    return 1


def metrics_dir(settings: Settings) -> Path:
    """The prometheus-client multi-process folder of the web workers."""
    return settings.web_metrics_dir or settings.var_dir / "prometheus"


def _multiprocess_metrics(folder: Path) -> None:
    # prometheus-client picks its multi-process value class from this variable, so it is set (from the
    # settings) before the web package, whose metrics are module-level, is imported; emptied at start
    # so counters of a previous run are not summed in.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    from prometheus_client import values

    values.ValueClass = values.get_value_class()  # in case prometheus_client was imported already


def public_url_warning(settings: Settings) -> str | None:
    """What `diagnose serve` says when production has no DIAGNOSE_PUBLIC_URL: the reports' QR codes would
    then point at the address the report was requested at, which the public may not reach."""
    if settings.env != "production" or settings.public_url:
        return None
    return (
        "diagnose serve: DIAGNOSE_PUBLIC_URL is not set; reports' QR codes and short links will use the "
        f"address each report is requested at (or {settings.served_url}). Set it to the public address of "
        "the web UI, e.g. https://zhizhen.example.cn"
    )


def run_web(settings: Settings, *, dev: bool = False) -> None:
    """Serve until interrupted."""
    warning = public_url_warning(settings)
    if warning:
        print(warning, file=sys.stderr)
    from collectors.replay import replay
    from web import create_app

    if dev:
        create_app(settings, replay=replay).run(
            host=settings.web_host, port=settings.web_port, debug=False, use_reloader=False
        )
        return
    folder = metrics_dir(settings).resolve()
    _multiprocess_metrics(folder)
    from gunicorn.app.base import BaseApplication
    from prometheus_client import multiprocess

    from web.ops import MULTIPROC_DIR

    def child_exit(_server: Any, worker: Any) -> None:
        multiprocess.mark_process_dead(worker.pid, str(folder))

    workers = effective_workers(settings)

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.web_host}:{settings.web_port}")
            self.cfg.set("workers", workers)
            # Threads (gthread): one slow request (a big report page, a locked database) holds one thread,
            # while the worker's other threads keep serving; sync workers stalled everyone behind it.
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", settings.web_threads)
            self.cfg.set("accesslog", None)  # web.access logs each request with its request id
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("child_exit", child_exit)
            # gunicorn's control socket defaults to one path per user (~/.gunicorn): a second server on the
            # machine (the demo beside a test run) would take it over. Nothing here uses it.
            self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            app = create_app(settings, replay=replay)
            app.config[MULTIPROC_DIR] = str(folder)
            # What the worker holds for good (modules, models, mappers, templates: ~190,000 objects) is moved
            # out of the collector's reach, so a full collection walks only what requests make: it took ~170 ms
            # (at load 20) once every ~160 page views, a pause in whichever request it fell on.
            gc.collect()
            gc.freeze()
            return app

    _App().run()
