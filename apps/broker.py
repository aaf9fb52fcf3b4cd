"""Find or start an MQTT broker: the configured one, else Mosquitto with our config, else embedded amqtt."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from collectors.client import BrokerAddress

DEPLOY_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "mosquitto.conf"
START_TIMEOUT_S = 15.0


def answers(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True if something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mosquitto_config(
    *, port: int, persistence_dir: Path, source: Path = DEPLOY_CONFIG, auth: BrokerAuthFiles | None = None
) -> str:
    """The shipped configuration with the listener port and persistence folder rewritten.

    With `auth`, anonymous clients are refused and the password and ACL files (written by
    `diagnose devices broker-auth`) are enforced.
    """
    lines = []
    if os.geteuid() == 0:
        # Started as root, Mosquitto drops to the `mosquitto` user, which cannot write a folder of ours:
        # persistence would then fail silently and a restart would lose every session.
        lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name}")
    for line in source.read_text().splitlines():
        if line.startswith("listener "):
            line = f"listener {port} 127.0.0.1"
        elif line.startswith("persistence_location "):
            line = f"persistence_location {persistence_dir}/"
        elif line.startswith("allow_anonymous ") and auth is not None:
            line = "allow_anonymous false"
        lines.append(line)
    if auth is not None:
        lines += [f"password_file {auth.passwd}", f"acl_file {auth.acl}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class BrokerAuthFiles:
    """Where Mosquitto's password file and ACL file are."""

    passwd: Path
    acl: Path


@dataclass
class LocalBroker:
    """A broker process this program started (Mosquitto or the embedded amqtt fallback)."""

    kind: str
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    auth: BrokerAuthFiles | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / f"{self.kind}.log"

    @property
    def url(self) -> str:
        """mqtt:// URL of this broker."""
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def protocol(self) -> str:
        """The MQTT protocol version clients should speak to it (amqtt speaks 3.1.1 only)."""
        return "5" if self.kind == "mosquitto" else "3.1.1"

    def start(self) -> LocalBroker:
        """Start the process and wait until it accepts connections."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.kind == "mosquitto":
            conf = self.workdir / "mosquitto.conf"
            conf.write_text(mosquitto_config(port=self.port, persistence_dir=self.workdir, auth=self.auth))
            command = [shutil.which("mosquitto") or "mosquitto", "-c", str(conf)]
        else:
            from apps import embedded_broker

            if not embedded_broker.available():
                raise RuntimeError(embedded_broker.MISSING)
            command = [sys.executable, "-m", "apps.embedded_broker", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers("127.0.0.1", self.port, 0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} did not start; see {self.log_path}")
            time.sleep(0.05)
        return self

    def stop(self, *, kill: bool = False) -> None:
        """Stop the broker (SIGTERM lets Mosquitto save its persistence file; kill does not)."""
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(10)

    def reload(self) -> None:
        """SIGHUP: Mosquitto rereads its password and ACL files without dropping anyone."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGHUP)

    def restart(self) -> None:
        """Stop and start again on the same port with the same persistence."""
        self.stop()
        self.start()


def start_local_broker(
    *,
    port: int | None = None,
    workdir: Path | None = None,
    prefer: str = "mosquitto",
    auth: BrokerAuthFiles | None = None,
) -> LocalBroker:
    """Start Mosquitto if installed (or `prefer="amqtt"`), else the embedded broker (which ignores `auth`)."""
    kind = "mosquitto" if prefer == "mosquitto" and shutil.which("mosquitto") else "amqtt"
    workdir = workdir or Path(tempfile.mkdtemp(prefix="diagnose-broker-"))
    return LocalBroker(kind=kind, port=port or free_port(), workdir=workdir, auth=auth).start()


def ensure_broker(url: str, *, workdir: Path) -> LocalBroker | None:
    """None if a broker answers at `url`; otherwise start one on that port and return it."""
    address = BrokerAddress.from_url(url)
    if answers(address.host, address.port):
        return None
    return start_local_broker(port=address.port, workdir=workdir)
