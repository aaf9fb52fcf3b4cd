"""`diagnose demo` end to end: the login page served, telemetry growing, Ctrl-C stops everything."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from apps.processes.broker import answers, free_port

# Each variant runs a whole demo process tree and must serve the login page in time: never both at once
# on two xdist workers.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


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
        # Sample data, a backfilled week, then four processes start: a minute on an idle 2-core machine.
        deadline = time.monotonic() + 150
        while not answers("127.0.0.1", web_port, 0.2):
            assert demo.poll() is None, demo.stdout.read() if demo.stdout else ""
            assert time.monotonic() < deadline, "login page not served within 150 s"
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
        _closed_and_quiet(tmp_path / "var", web_port, mqtt_port, broker)
        _readme_examples_work(tmp_path, mqtt_port)
        measured = _measured_indicators(tmp_path / "var" / "diagnose.db")
        assert measured.keys() >= {"coverage", "oee", "utilisation"}, measured  # the week before scoring
        assert measured["coverage"] > 0.5 and 0 < measured["oee"] < 1, measured
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert "started " + ("mosquitto" if broker == "mosquitto" else "amqtt") in output
    assert not answers("127.0.0.1", web_port, 0.2) and not answers("127.0.0.1", mqtt_port, 0.2)
    texts = [output] + [log.read_text(errors="replace") for log in (tmp_path / "var").rglob("*.log")]
    for text in texts:
        assert not CREDENTIAL_URL.search(text), CREDENTIAL_URL.search(text)


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_examples_work(tmp_path: Path, mqtt_port: int) -> None:
    """The README's `mosquitto_pub` blocks, run verbatim against the demo, are stored as the README says.

    Only the port differs from a fresh machine's (the demo's broker here is on a free port): it comes from
    mosquitto_pub's own options file, so not a character of the README is changed.
    """
    if not shutil.which("mosquitto_pub"):
        pytest.skip("mosquitto_pub (mosquitto-clients) is not installed")
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S) if "mosquitto_pub" in b]
    assert len(blocks) >= 2, "the README's plant-data examples are gone"
    config = tmp_path / "xdg"
    config.mkdir()
    (config / "mosquitto_pub").write_text(f"-p {mqtt_port}\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(config)}
    for block in blocks:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (block, done.stdout, done.stderr)
    wanted = {1001: ("RUN", 5120), 1002: ("PLANNED_STOP", None), 1003: (None, None)}
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(tmp_path / "var" / "diagnose.db") as connection:
            rows = connection.execute(
                "SELECT t.seq, t.state, t.count_total FROM telemetry t JOIN device d ON d.id = t.device_id "
                "JOIN enterprise e ON e.id = d.enterprise_id WHERE e.uscc = '91320412MA000001XY' "
                "AND d.external_id = 'D01' AND t.seq IN (1001, 1002, 1003) AND t.ts < '2026-11-25'"
            ).fetchall()
        if {seq: (state, total) for seq, state, total in rows} == wanted:
            break
        assert time.monotonic() < deadline, f"README messages not stored as sent: {rows}"
        time.sleep(0.5)


# scheme://user:password@host — what must never appear in a page, a log line or an error.
CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)


def _closed_and_quiet(var: Path, web_port: int, mqtt_port: int, broker: str) -> None:
    """The demo's broker refuses anonymous clients; a provider's pages show no broker password."""
    from collectors.client import Publisher

    with pytest.raises(ConnectionRefusedError):
        Publisher(
            url=f"mqtt://127.0.0.1:{mqtt_port}",
            client_id="anonymous",
            protocol="5" if broker == "mosquitto" else "3.1.1",
        ).start(timeout_s=5)
    with sqlite3.connect(var / "diagnose.db") as connection:
        (order_id,) = connection.execute(
            "SELECT o.id FROM diagnosisorder o JOIN user u ON u.provider_id = o.provider_id "
            "WHERE u.username = 'provider2' AND o.status = 'on_site'"
        ).fetchone()
        (device_id,) = connection.execute(
            "SELECT d.id FROM device d JOIN diagnosisorder o ON o.enterprise_id = d.enterprise_id "
            "WHERE o.id = ? AND d.networked ORDER BY d.id",
            (order_id,),
        ).fetchone()
    jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{web_port}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', jar.open(f"{base}/login").read().decode())
    assert token
    form = {"username": "provider2", "password": "demo-2026!", "csrf_token": token.group(1)}
    jar.open(f"{base}/login", data=urllib.parse.urlencode(form).encode()).read()
    pages = [jar.open(f"{base}/provider/orders/{order_id}/devices").read().decode()]
    pages.append(jar.open(f"{base}/provider/orders/{order_id}/devices.json").read().decode())
    token = re.search(r'name="csrf_token" value="([^"]+)"', pages[0])
    assert token
    form = {"csrf_token": token.group(1)}
    pages.append(
        jar.open(
            f"{base}/provider/orders/{order_id}/devices/{device_id}/credentials",
            data=urllib.parse.urlencode(form).encode(),
        )
        .read()
        .decode()
    )
    assert "mqtt-password" in pages[-1]
    for page in pages:
        assert not CREDENTIAL_URL.search(page), CREDENTIAL_URL.search(page)
