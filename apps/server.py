"""Run the web app: gunicorn with several workers (sessions live in signed cookies), or Flask's dev server."""

from __future__ import annotations

from typing import Any

from diagnose.settings import Settings


def run_web(settings: Settings, *, dev: bool = False) -> None:
    """Serve until interrupted."""
    from collectors.replay import replay
    from web import create_app

    if dev:
        create_app(settings, replay=replay).run(
            host=settings.web_host, port=settings.web_port, debug=False, use_reloader=False
        )
        return
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.web_host}:{settings.web_port}")
            self.cfg.set("workers", settings.web_workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 5)

        def load(self) -> Any:
            return create_app(settings, replay=replay)

    _App().run()
