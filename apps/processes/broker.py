"""Find or start an MQTT broker: the configured one, else Mosquitto with our config, else embedded amqtt."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from collectors.client import BrokerAddress, with_account
from diagnose.services.shopfloor.broker_accounts import (
    BrokerAccount,
    admin_account,
    dynsec_config,
    new_password,
    sparkplug_username,
)

DEPLOY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto.conf"
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
    *,
    port: int,
    persistence_dir: Path,
    accounts_file: Path,
    source: Path = DEPLOY_CONFIG,
    tls: BrokerTls | None = None,
) -> str:
    """The shipped configuration with the listener, persistence folder and accounts file rewritten.

    Closed as shipped: anonymous clients are refused and every account comes from the
    dynamic-security JSON at `accounts_file` (written by `write_accounts`).
    """
    lines = []
    if os.geteuid() == 0:
        # Started as root, Mosquitto drops to the `mosquitto` user, which cannot write a folder of ours:
        # persistence would then fail silently and a restart would lose every session.
        lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name}")
    for line in source.read_text().splitlines():
        if line.startswith("listener 8883"):
            if tls is None:
                continue
            line = f"listener {tls.port} 127.0.0.1"
        elif line.startswith("listener "):
            line = f"listener {port} 127.0.0.1"
        elif line.startswith("persistence_location "):
            line = f"persistence_location {persistence_dir}/"
        elif line.startswith("plugin_opt_config_file "):
            line = f"plugin_opt_config_file {accounts_file}"
        elif line.startswith(("cafile ", "certfile ", "keyfile ", "require_certificate ")):
            if tls is None:
                continue
            key = line.split()[0]
            line = f"{key} {tls.options()[key]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class BrokerTls:
    """A TLS listener: its port, the CA, the broker's certificate and key, whether clients need one."""

    port: int
    cafile: Path
    certfile: Path
    keyfile: Path
    require_certificate: bool = False

    def options(self) -> dict[str, str]:
        """Mosquitto option → value."""
        return {
            "cafile": str(self.cafile),
            "certfile": str(self.certfile),
            "keyfile": str(self.keyfile),
            "require_certificate": "true" if self.require_certificate else "false",
        }


def write_accounts(path: Path, accounts: list[BrokerAccount]) -> Path:
    """Write the dynamic-security JSON atomically (0600: it holds password hashes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(dynsec_config(accounts), indent=1), encoding="utf-8")
    temporary.chmod(0o600)
    os.replace(temporary, path)
    return path


@dataclass
class LocalBroker:
    """A broker process this program started (Mosquitto or the embedded amqtt fallback)."""

    kind: str
    port: int
    workdir: Path
    accounts: list[BrokerAccount] = field(default_factory=list)
    login: tuple[str, str] | None = None  # the account `url` logs in with (tests' admin), if any
    tls: BrokerTls | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)
    accounts_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / f"{self.kind}.log"
        self.accounts_file = self.workdir / "dynamic-security.json"

    @property
    def address(self) -> str:
        """mqtt:// URL of this broker, without credentials."""
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """mqtt:// URL of this broker, logging in as `login` when there is one."""
        if self.login is None:
            return self.address
        return with_account(self.address, *self.login)

    def url_for(self, username: str, password: str) -> str:
        """mqtt:// URL logging in as this account."""
        return with_account(self.address, username, password)

    @property
    def protocol(self) -> str:
        """The MQTT protocol version clients should speak to it (amqtt speaks 3.1.1 only)."""
        return "5" if self.kind == "mosquitto" else "3.1.1"

    def start(self) -> LocalBroker:
        """Start the process and wait until it accepts connections."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        write_accounts(self.accounts_file, self.accounts)
        if self.kind == "mosquitto":
            conf = self.workdir / "mosquitto.conf"
            conf.write_text(
                mosquitto_config(
                    port=self.port,
                    persistence_dir=self.workdir,
                    accounts_file=self.accounts_file,
                    tls=self.tls,
                )
            )
            command = [shutil.which("mosquitto") or "mosquitto", "-c", str(conf)]
        else:
            from apps.demo import embedded_broker

            if not embedded_broker.available():
                raise RuntimeError(embedded_broker.MISSING)
            command = [sys.executable, "-m", "apps.demo.embedded_broker", "--port", str(self.port)]
            command += ["--accounts", str(self.accounts_file)]
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

    def set_accounts(self, accounts: list[BrokerAccount]) -> None:
        """Replace every account: the broker restarts on the same port (persistent sessions survive)."""
        self.accounts = list(accounts)
        self.restart()

    def restart(self) -> None:
        """Stop and start again on the same port with the same persistence."""
        self.stop()
        self.start()


def start_local_broker(
    *,
    port: int | None = None,
    workdir: Path | None = None,
    prefer: str = "mosquitto",
    accounts: list[BrokerAccount] | None = None,
    tls: BrokerTls | None = None,
) -> LocalBroker:
    """Start Mosquitto if installed (or `prefer="amqtt"`), else the embedded broker; closed either way.

    Without `accounts` (tests), one admin account with a random password is created and `url` logs in
    with it (also as `<admin>-spb`, the Sparkplug host login of a collector using that URL).
    """
    kind = "mosquitto" if prefer == "mosquitto" and shutil.which("mosquitto") else "amqtt"
    workdir = workdir or Path(tempfile.mkdtemp(prefix="diagnose-broker-"))
    login: tuple[str, str] | None = None
    if accounts is None:
        login = ("diagnose-test", new_password())
        accounts = [
            admin_account(username=login[0], password=login[1]),
            admin_account(username=sparkplug_username(login[0]), password=login[1]),
        ]
    broker = LocalBroker(
        kind=kind, port=port or free_port(), workdir=workdir, accounts=accounts, login=login, tls=tls
    )
    return broker.start()


def ensure_broker(
    url: str, *, workdir: Path, accounts: list[BrokerAccount], configured: bool = True
) -> LocalBroker | None:
    """None if a configured broker answers at `url`; otherwise start one with these accounts.

    A broker that answers on the *default* address (`configured=False`) is somebody else's, open or not: the
    demo then starts its own closed broker on a free port rather than send plant data to it.
    """
    address = BrokerAddress.from_url(url)
    if answers(address.host, address.port):
        if configured:
            return None
        return start_local_broker(port=free_port(), workdir=workdir, accounts=accounts)
    return start_local_broker(port=address.port, workdir=workdir, accounts=accounts)
