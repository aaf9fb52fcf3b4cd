"""A simulated plant: devices with shifts, breakdowns, micro-stops, rejects and energy, publishing over MQTT."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from collectors.client import BrokerAddress, Publisher, with_account
from collectors.payloads import birth_topic, telemetry_topic
from collectors.sparkplug.codec import MetricSpec, encode_payload, nbirth_payload, ndeath_payload
from diagnose import topics
from diagnose.models import Device, Enterprise
from diagnose.services.shopfloor.broker_accounts import derived_password, edge_username


@dataclass(frozen=True, slots=True)
class SimDevice:
    """What the simulator needs to know of a device."""

    uscc: str
    device_id: str
    kind: str = "CNC"
    ideal_cycle_s: float = 30.0
    sensor: str = "full"  # full | current (a dumb device fitted only with a current clamp)
    rated_kw: float = 15.0
    protocol: str = "json"  # json | sparkplug (published by a simulated Sparkplug B edge node)


@dataclass(slots=True)
class DeviceModel:
    """Per-device state machine; `step` advances simulated time and returns one telemetry payload."""

    device: SimDevice
    rng: random.Random
    seq: int
    state: str = "RUN"
    state_left_s: float = 0.0
    count_total: int = 0
    count_good: int = 0
    energy_kwh: float = 0.0
    cycle_progress_s: float = 0.0
    speed: float = field(default=0.9)

    def _next_state(self, hour: int) -> tuple[str, float]:
        # Night shift off 0-6h, lunch break 12h; otherwise mostly running with breakdowns and micro-stops.
        if hour < 6:
            return "OFF", 600.0
        if hour == 12:
            return "PLANNED_STOP", 300.0
        roll = self.rng.random()
        if roll < 0.03:
            return "DOWN", self.rng.uniform(300, 1800)  # breakdown
        if roll < 0.15:
            return "IDLE", self.rng.uniform(30, 180)  # micro-stop / waiting for material
        return "RUN", self.rng.uniform(300, 2400)

    def step(self, now: datetime, dt_s: float) -> dict[str, object]:
        """Advance by dt_s seconds ending at `now` and return the payload to publish."""
        self.state_left_s -= dt_s
        if self.state_left_s <= 0:
            self.state, self.state_left_s = self._next_state(
                (now.astimezone(UTC).hour + 8) % 24
            )  # China time
        power = {"RUN": 1.0, "IDLE": 0.3, "DOWN": 0.05, "PLANNED_STOP": 0.05, "OFF": 0.0}[self.state]
        power_kw = max(0.0, self.device.rated_kw * power * self.rng.uniform(0.9, 1.1))
        self.energy_kwh += power_kw * dt_s / 3600
        if self.state == "RUN":
            self.cycle_progress_s += dt_s * self.speed
            while self.cycle_progress_s >= self.device.ideal_cycle_s:
                self.cycle_progress_s -= self.device.ideal_cycle_s
                self.count_total += 1
                if self.rng.random() > 0.02:
                    self.count_good += 1
        self.seq += 1
        ts = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self.device.sensor == "current":
            current = power_kw * 1000 / (1.732 * 380 * 0.85) if power_kw else self.rng.uniform(0, 0.2)
            return {"ts": ts, "seq": self.seq, "current_a": round(current, 3)}
        return {
            "ts": ts,
            "seq": self.seq,
            "state": self.state,
            "count_total": self.count_total,
            "count_good": self.count_good,
            "power_kw": round(power_kw, 3),
            "energy_kwh": round(self.energy_kwh, 4),
        }


SIM_EDGE = "EDGE1"  # each simulated enterprise's one edge node (its group id is the USCC)


class PlantSimulator:
    """Publishes every device's telemetry at `rate_hz` until stopped."""

    def __init__(
        self,
        devices: Sequence[SimDevice],
        *,
        url: str,
        protocol: str = "5",
        rate_hz: float = 1.0,
        seed: int = 7,
        client_id: str | None = None,
        edge_accounts: bool = False,
    ) -> None:
        rng = random.Random(seed)
        # Every account is bound to its client id: the simulator's is its user name.
        client_id = client_id or BrokerAddress.from_url(url).username or "diagnose-simulator"
        start_seq = int(time.time() * 1000)  # keeps seq increasing across simulator restarts
        models = [DeviceModel(d, random.Random(rng.random()), seq=start_seq) for d in devices]
        self.models = [m for m in models if m.device.protocol != "sparkplug"]
        self.rate_hz = rate_hz
        self.publisher = Publisher(url=url, client_id=client_id, protocol=protocol)
        self.published = 0
        by_uscc: dict[str, list[DeviceModel]] = {}
        for model in models:
            if model.device.protocol == "sparkplug":
                by_uscc.setdefault(model.device.uscc, []).append(model)
        # One edge node per enterprise; its group id is the USCC, which the host maps to itself.
        self.edges = [
            SparkplugEdge(
                url=url,
                group=uscc,
                edge=SIM_EDGE,
                models=group,
                protocol=protocol,
                client_id=client_id,
                own_account=edge_accounts,
            )
            for uscc, group in by_uscc.items()
        ]

    def announce(self) -> None:
        """Publish each device's retained birth message."""
        for model in self.models:
            device = model.device
            body = {"kind": device.kind, "model": f"SIM-{device.kind}", "ideal_cycle_s": device.ideal_cycle_s}
            self.publisher.publish(
                birth_topic(device.uscc, device.device_id), json.dumps(body).encode(), retain=True
            )

    def tick(self, now: datetime, dt_s: float) -> None:
        """Publish one sample per device."""
        for model in self.models:
            payload = json.dumps(model.step(now, dt_s)).encode()
            self.publisher.publish(telemetry_topic(model.device.uscc, model.device.device_id), payload)
            self.published += 1
        for edge in self.edges:
            self.published += edge.tick(now, dt_s)

    def run(self, stop: threading.Event) -> None:
        """Connect, announce, then publish at the configured rate until `stop` is set."""
        self.publisher.start()
        for edge in self.edges:
            edge.start()
        try:
            self.announce()
            interval = 1.0 / self.rate_hz
            while not stop.wait(interval):
                self.tick(datetime.now(UTC), interval)
        finally:
            for edge in self.edges:
                edge.stop()
            self.publisher.stop()


# Sparkplug metric aliases of the simulated devices (DBIRTH names them, DDATA sends aliases only).
SPARKPLUG_ALIASES = {
    "state": 1,
    "count_total": 2,
    "count_good": 3,
    "power_kw": 4,
    "energy_kwh": 5,
    "current_a": 6,
}


class SparkplugEdge:
    """A simulated Sparkplug B edge node: NDEATH will, NBIRTH, DBIRTH with aliases, DDATA, rebirth on NCMD."""

    def __init__(
        self,
        *,
        url: str,
        group: str,
        edge: str,
        models: Sequence[DeviceModel],
        protocol: str,
        client_id: str,
        own_account: bool = False,
    ) -> None:
        self.group, self.edge, self.models = group, edge, list(models)
        self.bd_seq = int(time.time()) % 256
        self.seq = 0
        self.rebirth = threading.Event()
        will = ndeath_payload(bd_seq=self.bd_seq, timestamp_ms=_ms(datetime.now(UTC)))
        address = BrokerAddress.from_url(url)
        if own_account and address.username:
            # An edge node has its own account, bound to its client id; the simulator derives its
            # password from its own, as `diagnose demo` does when it provisions the broker.
            client_id = edge_username(group, edge)
            url = with_account(url, client_id, derived_password(address.password or "", client_id))
        else:
            client_id = f"{client_id}-{group}-{edge}"
        self.publisher = Publisher(
            url=url,
            client_id=client_id,
            protocol=protocol,
            will=(self._topic("NDEATH"), will, 1, False),
        )

    def _topic(self, kind: topics.MessageType, device: str | None = None) -> str:
        return topics.sparkplug(self.group, kind, self.edge, device)

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq

    def start(self) -> None:
        """Connect, listen for NCMD rebirth requests, publish the births."""
        self.publisher.start()
        self.publisher.subscribe(self._topic("NCMD"), lambda _t, _p: self.rebirth.set())
        self.birth(datetime.now(UTC))

    def birth(self, now: datetime) -> None:
        """NBIRTH (seq 0) then one DBIRTH per device naming every metric with its alias (spec 3.0 §7)."""
        self.seq = 0
        self.publisher.publish(
            self._topic("NBIRTH"), nbirth_payload([], bd_seq=self.bd_seq, timestamp_ms=_ms(now))
        )
        for model in self.models:
            device = model.device
            current: dict[str, object] = {"state": model.state, "count_total": model.count_total}
            current |= {"count_good": model.count_good, "energy_kwh": round(model.energy_kwh, 4)}
            current |= {"power_kw": 0.0, "current_a": 0.0}
            metrics = [
                MetricSpec(name, current[name], alias=alias)  # type: ignore[arg-type]
                for name, alias in SPARKPLUG_ALIASES.items()
            ]
            metrics += [MetricSpec("kind", device.kind), MetricSpec("ideal_cycle_s", device.ideal_cycle_s)]
            payload = encode_payload(metrics, timestamp_ms=_ms(now) - 1, seq=self._next_seq())
            self.publisher.publish(self._topic("DBIRTH", device.device_id), payload)

    def tick(self, now: datetime, dt_s: float) -> int:
        """Publish one DDATA per device (aliases only); returns the number of messages."""
        if self.rebirth.is_set():
            self.rebirth.clear()
            self.birth(now)
        for model in self.models:
            values = model.step(now, dt_s)
            metrics = [
                MetricSpec(None, values[name], alias=alias)  # type: ignore[arg-type]
                for name, alias in SPARKPLUG_ALIASES.items()
                if name in values
            ]
            payload = encode_payload(metrics, timestamp_ms=_ms(now), seq=self._next_seq())
            self.publisher.publish(self._topic("DDATA", model.device.device_id), payload)
        return len(self.models)

    def stop(self) -> None:
        """Disconnect (a clean DISCONNECT does not send the NDEATH will)."""
        self.publisher.stop()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


SYNTHETIC_KINDS = [("CNC", 42.0, 15.0), ("注塑机", 28.0, 22.0), ("冲压机", 6.0, 30.0)]


def synthetic_devices(uscc: str, count: int) -> list[SimDevice]:
    """`count` made-up devices of one enterprise (every 7th dumb with only a current clamp, every 5th Sparkplug)."""
    return [
        SimDevice(
            uscc=uscc,
            device_id=f"SIM{i:04d}",
            kind=SYNTHETIC_KINDS[i % 3][0],
            ideal_cycle_s=SYNTHETIC_KINDS[i % 3][1],
            rated_kw=SYNTHETIC_KINDS[i % 3][2],
            sensor="current" if i % 7 == 6 else "full",
            protocol="sparkplug" if i % 5 == 4 else "json",
        )
        for i in range(count)
    ]


def registry_devices(engine: Engine) -> list[SimDevice]:
    """Every active, networked JSON or Sparkplug device in the registry."""
    with Session(engine) as session:
        return sim_devices(session)


def sim_devices(
    session: Session, *, enterprise_id: int | None = None, protocols: tuple[str, ...] = ("json", "sparkplug")
) -> list[SimDevice]:
    """Active, networked devices of these protocols (of one enterprise, if given), as the simulator sees them."""
    statement = (
        select(Enterprise.uscc, Device)
        .join(Enterprise)
        .where(
            col(Device.networked).is_(True),
            col(Device.protocol).in_(protocols),
            Device.registry_status == "active",
        )
        .order_by(col(Device.id))
    )
    if enterprise_id is not None:
        statement = statement.where(Device.enterprise_id == enterprise_id)
    return [
        SimDevice(
            uscc=uscc,
            device_id=d.external_id,
            kind=d.kind or "CNC",
            ideal_cycle_s=d.ideal_cycle_s or 30.0,
            sensor=d.sensor,
            protocol=d.protocol,
        )
        for uscc, d in session.exec(statement).all()
    ]
