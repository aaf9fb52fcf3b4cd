"""The only module that touches paho-mqtt: the collector's subscriber and a small publisher."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
SUBACK_TIMEOUT_S = 10.0  # a SUBSCRIBE or UNSUBSCRIBE not acknowledged by then is tried again later
KEEPALIVE_S = 30
RECEIVE_MAXIMUM = 2_000
_NO_IDENTIFIER = frozenset((0,))  # a delivery for a filter subscribed without a Subscription Identifier


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is, parsed from an mqtt:// or mqtts:// URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    cafile: str | None = None  # the CA that signed the broker's certificate (None: the system's)
    certfile: str | None = None  # a client certificate, when the broker asks for one
    keyfile: str | None = None

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """Parse mqtt://[user:pass@]host[:port] or mqtts://…[:8883][?cafile=…&certfile=…&keyfile=…]."""
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp", "mqtts", "ssl"):
            raise ValueError(
                f"unsupported MQTT URL scheme {parsed.scheme!r} (use mqtt:// or mqtts://host:port)"
            )
        tls = parsed.scheme in ("mqtts", "ssl")
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        unknown = set(query) - {"cafile", "certfile", "keyfile"}
        if unknown or (query and not tls):
            raise ValueError(
                f"MQTT URL options {sorted(query)}: only cafile, certfile, keyfile, with mqtts://"
            )
        return cls(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (8883 if tls else 1883),
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            tls=tls,
            cafile=query.get("cafile"),
            certfile=query.get("certfile"),
            keyfile=query.get("keyfile"),
        )

    def secure(self, client: mqtt.Client) -> None:
        """Log in and, for mqtts://, verify the broker's certificate against the CA (and present ours)."""
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(
                ca_certs=self.cafile,
                certfile=self.certfile,
                keyfile=self.keyfile,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )


def with_account(url: str, username: str, password: str | None) -> str:
    """`url` logging in as another broker account (the Sparkplug host login, an edge node's)."""
    parsed = urlparse(url)
    host = parsed.netloc.rpartition("@")[2]
    userinfo = quote(username, safe="") + (f":{quote(password, safe='')}" if password else "")
    return parsed._replace(netloc=f"{userinfo}@{host}").geturl()


@dataclass(frozen=True, slots=True)
class Subscription:
    """A topic filter and its QoS."""

    topic: str
    qos: int = 1


@dataclass(frozen=True, slots=True)
class Delivery:
    """A received message with what is needed to acknowledge it later."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int  # the connection it arrived on; acks for an older connection are dropped
    channel: str = "json"  # which client received it ("json" persistent, "sparkplug" clean session)


def _new_client(client_id: str, protocol: str, *, manual_ack: bool, clean: bool = False) -> mqtt.Client:
    if protocol == "5":
        return mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack
        )
    return mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=clean,
        manual_ack=manual_ack,
    )


@dataclass(slots=True)
class _Waiter:
    """A SUBSCRIBE or UNSUBSCRIBE in flight: its filters, and whether the broker granted them all."""

    topics: tuple[str, ...]
    done: threading.Event
    ok: bool = False


class CollectorClient:
    """A persistent-session subscriber that hands messages on and acknowledges them only when told to.

    paho's own loop reconnects; every CONNACK re-subscribes everything (a broker that lost our
    session must not leave us deaf). `on_delivery` may block: that is the collector's backpressure.
    `subscribe` and `unsubscribe` change the filters while connected and wait for the broker's
    SUBACK or UNSUBACK by message id; `granted` is what the broker has acknowledged (our session
    keeps it across reconnects).

    MQTT 5: each filter is its own SUBSCRIBE with Retain Handling 1, so a re-subscription on reconnect does
    not bring the retained births and statuses again (§3.8.3.1). A publish matching two of our filters (every
    enterprise's, and one enterprise's, during a move to assignments) comes as consecutive copies, each
    carrying only its own filter's Subscription Identifier (§3.3.4), which overlapping filters get: the
    further copies are acknowledged and dropped, so each message is handled (and dead-lettered) once.
    """

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        protocol: str,
        subscriptions: Sequence[Subscription],
        on_delivery: Callable[[Delivery], None],
        session_expiry_s: int = 7 * 24 * 3600,
        will: tuple[str, bytes] | None = None,
        on_connected: Callable[[CollectorClient], None] | None = None,
        on_disconnected: Callable[[CollectorClient], None] | None = None,
        clean_start: bool = False,
        receive_maximum: int = RECEIVE_MAXIMUM,
        channel: str = "json",
    ) -> None:
        self.address = BrokerAddress.from_url(url)
        self.protocol = protocol
        self._topics: dict[str, int] = {s.topic: s.qos for s in subscriptions}  # re-subscribed on CONNACK
        self._ids: dict[
            str, int
        ] = {}  # filter → its MQTT 5 Subscription Identifier, once it overlapped another
        self.granted: set[str] = set()
        self._waiters: dict[int, _Waiter] = {}
        self._connect_mids: set[int] = (
            set()
        )  # the re-subscriptions of the latest CONNACK not acknowledged yet
        self._previous: tuple[str, bytes, frozenset[int]] | None = (
            None  # last publish: topic, payload, ids seen
        )
        self.copies_dropped = 0  # second copies of one publish through overlapping filters of ours
        self.session_expiry_s = 0 if clean_start else session_expiry_s
        self.clean_start = clean_start
        self.channel = channel
        # Unacked messages in flight towards us: with acks sent only after commit this must cover
        # a whole batch, or every batch would wait out its timer (MQTT 5 §3.1.2.11.3 Receive Maximum).
        self.receive_maximum = max(1, min(receive_maximum, 65_535))
        self._on_delivery = on_delivery
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._generation = 0
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # set once a CONNACK's re-subscriptions are all acknowledged
        self._client = _new_client(client_id, protocol, manual_ack=True, clean=clean_start)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.max_inflight_messages_set(100)
        self.address.secure(self._client)
        if will is not None:
            self.set_will(*will)
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message
        self._client.on_subscribe = self._handle_suback
        self._client.on_unsubscribe = self._handle_unsuback

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The filters this client holds (or is subscribing to)."""
        with self._lock:
            return tuple(Subscription(topic, qos) for topic, qos in self._topics.items())

    def set_will(self, topic: str, payload: bytes) -> None:
        """Register the retained QoS 1 will sent with the next CONNECT (Sparkplug STATE death)."""
        self._client.will_set(topic, payload, qos=1, retain=True)

    @property
    def generation(self) -> int:
        """Counts connections; a delivery is ackable only on the connection it came on."""
        return self._generation

    def start(self) -> None:
        """Connect (asynchronously; paho retries until the broker answers) and start the network thread."""
        kwargs: dict[str, object] = {"keepalive": KEEPALIVE_S}
        if self.protocol == "5":
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self.session_expiry_s
            props.ReceiveMaximum = self.receive_maximum
            # clean_start=False explicitly: paho's MQTT 5 default wipes the session on the first connect.
            kwargs.update(clean_start=self.clean_start, properties=props)
        self._client.connect_async(self.address.host, self.address.port, **kwargs)  # type: ignore[arg-type]
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly, keeping the broker-side session for the next start."""
        try:
            if self.protocol == "5" and not self.clean_start:
                props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = self.session_expiry_s
                self._client.disconnect(properties=props)
            else:
                self._client.disconnect()
        finally:
            self._client.loop_stop()

    def ack(self, delivery: Delivery) -> bool:
        """Acknowledge a committed message; False if its connection is gone (the broker will redeliver)."""
        if delivery.qos == 0:
            return True
        with self._lock:
            if delivery.generation != self._generation or not self.connected.is_set():
                return False
            return self._client.ack(delivery.mid, delivery.qos) == mqtt.MQTT_ERR_SUCCESS

    def subscribe(
        self, subscriptions: Sequence[Subscription], *, timeout_s: float = SUBACK_TIMEOUT_S
    ) -> bool:
        """Add filters and wait for their SUBACKs; True if the broker granted every one.

        Not from paho's network thread (it delivers the SUBACK). Whatever the outcome, the filters stay
        ours: the next CONNACK subscribes them again.
        """
        waiters: list[tuple[int, _Waiter]] = []
        with self._lock:  # held until the mids are known: their ACKs cannot be handled before that
            self._topics.update({s.topic: s.qos for s in subscriptions})
            if not self.connected.is_set():
                return False
            for subscription in subscriptions:
                mid = self._send_subscribe(subscription.topic, subscription.qos)
                if mid is None:
                    break
                waiters.append((mid, _Waiter((subscription.topic,), threading.Event())))
                self._waiters[mid] = waiters[-1][1]
        deadline = time.monotonic() + timeout_s
        ok = len(waiters) == len(subscriptions)
        for _mid, waiter in waiters:
            if not waiter.done.wait(max(0.0, deadline - time.monotonic())):
                log.warning("no acknowledgement for %s in %.0f s", ", ".join(waiter.topics), timeout_s)
            ok = ok and waiter.ok
        with self._lock:
            for mid, _waiter in waiters:
                self._waiters.pop(mid, None)
        return ok

    def _send_subscribe(self, topic: str, qos: int) -> int | None:
        """One SUBSCRIBE for one filter; its mid, or None. The caller holds the lock.

        MQTT 5: retain handling 1, and a Subscription Identifier of its own only while the filter overlaps
        another of ours (every enterprise's and one enterprise's, during a move to assignments): copies of one
        publish can then be told apart, and in the steady state no PUBLISH carries a property to decode."""
        if self.protocol != "5":
            result, mid = self._client.subscribe(topic, qos)
            return mid if result == mqtt.MQTT_ERR_SUCCESS else None
        props = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]
        if any(filters_overlap(topic, other) for other in self._topics if other != topic):
            self._ids.setdefault(topic, len(self._ids) + 1)
            props.SubscriptionIdentifier = self._ids[topic]
        options = SubscribeOptions(qos=qos, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        result, mid = self._client.subscribe(topic, options=options, properties=props)
        return mid if result == mqtt.MQTT_ERR_SUCCESS else None

    def unsubscribe(self, topics: Sequence[str], *, timeout_s: float = SUBACK_TIMEOUT_S) -> bool:
        """Drop filters from our session and wait for the UNSUBACK; True once the broker confirmed.

        They are not subscribed again on the next CONNACK; if the broker did not confirm, call again.
        """
        with self._lock:
            for topic in topics:
                self._topics.pop(topic, None)
        ok = self._request(lambda: self._client.unsubscribe(list(topics)), tuple(topics), timeout_s)
        if ok:
            with self._lock:
                self.granted.difference_update(topics)
        return ok

    def _request(
        self, send: Callable[[], tuple[int, int | None]], topics: tuple[str, ...], timeout_s: float
    ) -> bool:
        waiter = _Waiter(topics, threading.Event())
        with self._lock:  # held until the mid is known: its ACK cannot be handled before that
            if not self.connected.is_set():
                return False
            result, mid = send()
            if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
                return False
            self._waiters[mid] = waiter
        if not waiter.done.wait(timeout_s):
            log.warning("no acknowledgement for %s in %.0f s", ", ".join(topics), timeout_s)
        with self._lock:
            self._waiters.pop(mid, None)
        return waiter.ok

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publish on the collector's own connection (Sparkplug STATE and rebirth NCMDs)."""
        self._client.publish(topic, payload, qos=qos, retain=retain)

    def abort(self) -> None:
        """Drop the connection without DISCONNECT, so the broker sends our will (tests, shutdown of a host)."""
        self._client.loop_stop()
        sock = self._client.socket()
        if sock is not None:
            sock.close()

    def _handle_connect(
        self, client: mqtt.Client, _u: object, flags: object, reason: ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            log.warning("broker refused connection: %s", reason)
            return
        with self._lock:
            self._generation += 1
        log.info(
            "connected to %s:%s (session present: %s)",
            self.address.host,
            self.address.port,
            getattr(flags, "session_present", "?"),
        )
        with self._lock:
            self.subscribed.clear()
            self._connect_mids.clear()
            for topic, qos in self._topics.items():
                mid = self._send_subscribe(topic, qos)
                if mid is not None:
                    self._waiters[mid] = _Waiter((topic,), threading.Event())
                    self._connect_mids.add(mid)
            if not self._connect_mids:
                self.subscribed.set()  # nothing to wait for
            self.connected.set()
        if self._on_connected is not None:
            self._on_connected(self)

    def _handle_suback(
        self, _c: mqtt.Client, _u: object, mid: int, reasons: list[ReasonCode], _p: object
    ) -> None:
        with self._lock:
            waiter = self._waiters.pop(mid, None)
            if waiter is not None:
                granted = [t for t, r in zip(waiter.topics, reasons, strict=False) if not r.is_failure]
                self.granted.update(granted)
                waiter.ok = len(granted) == len(waiter.topics)
                if not waiter.ok:
                    log.warning("broker refused subscriptions: %s", sorted(set(waiter.topics) - set(granted)))
                waiter.done.set()
            self._connect_mids.discard(mid)
            if not self._connect_mids:
                self.subscribed.set()

    def _handle_unsuback(
        self, _c: mqtt.Client, _u: object, mid: int, reasons: list[ReasonCode], _p: object
    ) -> None:
        with self._lock:
            waiter = self._waiters.pop(mid, None)
            if waiter is not None:
                waiter.ok = not any(r.is_failure for r in reasons)  # MQTT 3.1.1 has no reason codes
                waiter.done.set()

    def _handle_disconnect(
        self, _c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object
    ) -> None:
        self.connected.clear()
        with self._lock:  # their acknowledgements will not come on this connection: answer "not done" now
            for waiter in self._waiters.values():
                waiter.done.set()
            self._waiters.clear()
        log.warning("disconnected from broker: %s", reason)
        if self._on_disconnected is not None:
            self._on_disconnected(self)

    def _handle_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        delivery = Delivery(
            topic=message.topic,
            payload=bytes(message.payload),
            mid=message.mid,
            qos=message.qos,
            generation=self._generation,
            channel=self.channel,
        )
        if self._is_copy(delivery, message):
            self.copies_dropped += 1
            self.ack(delivery)  # its twin, just before it, is handled (and acknowledged once stored)
            return
        try:
            self._on_delivery(delivery)
        except Exception:  # one bad message is logged and skipped, never kills the network loop
            log.exception(
                "delivery handler failed for topic %s payload %r", message.topic, message.payload[:200]
            )

    def _is_copy(self, delivery: Delivery, message: mqtt.MQTTMessage) -> bool:
        """A further copy of the publish just handled, sent for another of our filters (MQTT 5 §3.3.4).

        The broker queues the copies of one publish for one client one after the other, each naming the
        identifier of the filter it was sent for (0 here: a filter without one). A device publishing the same
        bytes twice comes through the same filter(s) again, so is never taken for a copy. Only on paho's
        network thread."""
        sent_for = getattr(message.properties, "SubscriptionIdentifier", None)
        ids = frozenset(sent_for) if sent_for else _NO_IDENTIFIER
        previous = self._previous
        if (
            previous is not None
            and previous[0] == delivery.topic
            and previous[2].isdisjoint(ids)
            and previous[1] == delivery.payload
        ):
            self._previous = (delivery.topic, delivery.payload, previous[2] | ids)
            return True
        self._previous = (delivery.topic, delivery.payload, ids)
        return False


def filters_overlap(first: str, second: str) -> bool:
    """Whether some topic matches both MQTT filters (a shared subscription's `$share/<group>/` set aside)."""
    a, b = (_unshared(f).split("/") for f in (first, second))
    for level_a, level_b in zip(a, b, strict=False):
        if "#" in (level_a, level_b):
            return True
        if level_a != level_b and "+" not in (level_a, level_b):
            return False
    return len(a) == len(b) or a[len(b) :] == ["#"] or b[len(a) :] == ["#"]


def _unshared(topic: str) -> str:
    return topic.split("/", 2)[2] if topic.startswith("$share/") else topic


class Publisher:
    """A plain QoS-1 publisher for the simulator, tests and benchmarks."""

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        protocol: str = "5",
        will: tuple[str, bytes, int, bool] | None = None,
    ) -> None:
        self.address = BrokerAddress.from_url(url)
        self._client = _new_client(client_id, protocol, manual_ack=False, clean=True)
        if will is not None:
            self._client.will_set(will[0], will[1], qos=will[2], retain=will[3])
        self._client.max_inflight_messages_set(200)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.address.secure(self._client)
        self.connected = threading.Event()
        self.refused: ReasonCode | None = None  # why the broker refused the last CONNECT, if it did
        self._answered = threading.Event()
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = lambda *_a: self.connected.clear()
        self._client.on_message = self._handle_message
        self._client.on_subscribe = self._handle_suback
        self._handlers: list[Callable[[str, bytes], None]] = []
        self._lock = threading.Lock()
        self._subacks: dict[int, _Waiter] = {}

    def _handle_connect(
        self, _c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            self.refused = reason
            self.connected.clear()
        else:
            self.refused = None
            self.connected.set()
        self._answered.set()

    def subscribe(
        self,
        topic: str,
        handler: Callable[[str, bytes], None],
        *,
        qos: int = 0,
        timeout_s: float = SUBACK_TIMEOUT_S,
    ) -> bool:
        """Receive messages on `topic` (the simulated edge node listens for rebirth NCMDs).

        Waits for the SUBACK: True once the broker granted the filter, False if it refused it or did not
        answer within `timeout_s` (then nothing published to it so far is on its way to us). Not from paho's
        network thread, which delivers the SUBACK.
        """
        self._handlers.append(handler)
        with self._lock:  # the SUBACK handler takes the lock too, so it finds the mid registered
            _rc, mid = self._client.subscribe(topic, qos)
            if mid is None:  # not connected
                return False
            waiter = self._subacks[mid] = _Waiter((topic,), threading.Event())
        granted = waiter.done.wait(timeout_s) and waiter.ok
        with self._lock:
            self._subacks.pop(mid, None)
        return granted

    def _handle_suback(
        self, _c: mqtt.Client, _u: object, mid: int, reasons: list[ReasonCode], _p: object
    ) -> None:
        with self._lock:
            waiter = self._subacks.get(mid)
        if waiter is not None:
            waiter.ok = all(not reason.is_failure for reason in reasons)
            waiter.done.set()

    def _handle_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        for handler in self._handlers:
            try:
                handler(message.topic, bytes(message.payload))
            except Exception:  # a handler bug must not kill paho's network thread
                log.exception("handler failed for topic %s", message.topic)

    def start(self, *, timeout_s: float = CONNECT_TIMEOUT_S) -> Publisher:
        """Connect and start the network thread.

        Raises TimeoutError if no broker answers, ConnectionRefusedError if it refuses us (bad
        credentials, not authorised).
        """
        self._client.connect_async(self.address.host, self.address.port, keepalive=KEEPALIVE_S)
        self._client.loop_start()
        if not self._answered.wait(timeout_s):
            self._abandon()
            raise TimeoutError(f"no MQTT broker answered at {self.address.host}:{self.address.port}")
        if self.refused is not None:
            reason = self.refused
            self._abandon()
            raise ConnectionRefusedError(
                f"MQTT broker at {self.address.host}:{self.address.port} refused the connection: {reason}"
            )
        return self

    def _abandon(self) -> None:
        """Give up connecting: stop retrying and close any half-open (e.g. failed TLS) socket."""
        self._client.loop_stop()
        sock = self._client.socket()
        if sock is not None:
            sock.close()

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        """Queue one message; paho resends QoS 1 messages after a reconnect."""
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    def wait_all_published(self, infos: Sequence[mqtt.MQTTMessageInfo], *, timeout_s: float = 60.0) -> None:
        """Block until every message has been acknowledged by the broker."""
        for info in infos:
            info.wait_for_publish(timeout=timeout_s)

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
