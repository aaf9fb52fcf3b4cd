"""A report draft wanted by several viewers at once is drawn once (the others wait for it)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from markupsafe import Markup

from reports import jobs


def test_viewers_asking_at_once_wait_for_one_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "draft-test-key"
    second_asked = threading.Event()
    asked: list[str] = []
    real_fresh = jobs._fresh_draft

    def fresh(wanted: str) -> Markup | None:
        asked.append(threading.current_thread().name)
        if threading.current_thread().name == "second":
            second_asked.set()
        return real_fresh(wanted)

    monkeypatch.setattr(jobs, "_fresh_draft", fresh)
    builds: list[str] = []

    def build() -> Markup:
        builds.append(threading.current_thread().name)
        assert second_asked.wait(30)  # the second viewer asks while this one draws
        return Markup("<p>draft</p>")

    bodies: dict[str, Markup] = {}

    def view(name: str) -> None:
        bodies[name] = jobs.cached_draft(key, build, tmp_path)

    first = threading.Thread(target=view, args=("first",), name="first")
    first.start()
    while not builds:  # the first viewer is drawing
        first.join(0.01)
    second = threading.Thread(target=view, args=("second",), name="second")
    second.start()
    first.join(30)
    second.join(30)
    assert builds == ["first"]
    assert bodies == {"first": Markup("<p>draft</p>"), "second": Markup("<p>draft</p>")}
    assert key not in jobs._DRAFT_BUILDS
