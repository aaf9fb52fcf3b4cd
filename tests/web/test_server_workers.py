"""`diagnose serve` runs gunicorn with threaded workers, so one slow request does not stall the others."""

from __future__ import annotations

import pytest
from gunicorn.app.base import BaseApplication

from apps.processes.server import run_web
from diagnose.settings import Settings


def test_serve_uses_gthread_workers(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(self: BaseApplication) -> None:
        seen.update(
            worker_class=self.cfg.worker_class_str, threads=self.cfg.threads, workers=self.cfg.workers
        )

    monkeypatch.setattr(BaseApplication, "run", fake_run)
    shared = {"web_workers": 2, "web_threads": 6, "ratelimit_storage_url": "redis://127.0.0.1:6379/0"}
    run_web(settings.model_copy(update=shared))
    assert seen == {"worker_class": "gthread", "threads": 6, "workers": 2}
    # Login limits kept in one process's memory would multiply with the workers: serve then runs one.
    run_web(settings.model_copy(update={"web_workers": 2, "web_threads": 6}))
    assert seen == {"worker_class": "gthread", "threads": 6, "workers": 1}
