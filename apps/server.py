"""Run the web app: gunicorn with several workers (sessions live in signed cookies), or Flask's dev server."""

from __future__ import annotations

import sys
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


def run_web(settings: Settings, *, dev: bool = False) -> None:
    """Serve until interrupted."""
    from web import create_app

    if dev:
        create_app(settings).run(
            host=settings.web_host, port=settings.web_port, debug=False, use_reloader=False
        )
        return
    from gunicorn.app.base import BaseApplication

    workers = effective_workers(settings)

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.web_host}:{settings.web_port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 5)

        def load(self) -> Any:
            return create_app(settings)

    _App().run()
