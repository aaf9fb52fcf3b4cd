"""`diagnose demo` end to end: the login page within 60 s, telemetry growing, Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from apps.broker import answers, free_port

pytestmark = pytest.mark.slow


def _status(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "apps", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _measured_indicators(db: Path) -> dict[str, float]:
    """Highest measured value of each indicator that proposed a rating in the sample diagnoses' results."""
    with sqlite3.connect(db) as connection:
        details = [json.loads(row[0]) for row in connection.execute("SELECT detail FROM result")]
    found: dict[str, float] = {}
    for detail in details:
        for entry in detail.get("reconciled", []):
            for proposal in entry.get("proposals", []):
                name, value = proposal["indicator"], float(proposal["measured"])
                found[name] = max(found.get(name, value), value)
    return found


@pytest.mark.parametrize("broker", ["mosquitto", "embedded"])
def test_demo_serves_login_and_collects_telemetry(tmp_path: Path, broker: str) -> None:
    if broker == "mosquitto" and not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    web_port, mqtt_port = free_port(), free_port()
    env = {
        **os.environ,
        "DIAGNOSE_VAR_DIR": str(tmp_path / "var"),
        "DIAGNOSE_WEB_PORT": str(web_port),
        "DIAGNOSE_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
        "DIAGNOSE_SIMULATE_RATE_HZ": "4",
    }
    env.pop("DIAGNOSE_DATABASE_URL", None)
    if broker == "embedded":  # a machine without Mosquitto: the demo must fall back to the embedded broker
        env["PATH"] = os.pathsep.join(
            p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "mosquitto").exists()
        )
    demo = subprocess.Popen(
        [sys.executable, "-m", "apps", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not answers("127.0.0.1", web_port, 0.2):
            assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
            assert time.monotonic() < deadline, "login page not served within 60 s"
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as response:
            assert response.status == 200 and "登录" in response.read().decode()
        first = _status(env)
        assert first["enterprises"] == 8
        deadline = time.monotonic() + 30
        while (current := _status(env))["telemetry_messages"] <= first["telemetry_messages"]:  # type: ignore[operator]
            assert time.monotonic() < deadline, "telemetry is not growing"
            time.sleep(1)
        assert current["devices_seen_5min"] > 0  # type: ignore[operator]
        assert set(current["diagnoses"]) >= {"created", "assigned", "submitted", "accepted"}  # type: ignore[arg-type]
        measured = _measured_indicators(tmp_path / "var" / "diagnose.db")
        assert measured.keys() >= {"coverage", "oee", "availability"}, measured  # the week before scoring
        assert measured["coverage"] > 0.5 and 0 < measured["oee"] < 1, measured
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert "started " + ("mosquitto" if broker == "mosquitto" else "amqtt") in output
    assert not answers("127.0.0.1", web_port, 0.2) and not answers("127.0.0.1", mqtt_port, 0.2)
