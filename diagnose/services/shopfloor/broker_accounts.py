"""Broker accounts: one per device, collector, simulator and Sparkplug edge node, each bound to its client id.

The broker is Mosquitto with its dynamic-security plugin (or, without Mosquitto, the embedded amqtt
broker reading the same file): `dynsec_config` renders every account as the plugin's JSON. Passwords
are hashed once, with Mosquitto's PBKDF2-SHA512 (`mosquitto_hash`), the only credential function of
the platform; the plain password is shown once and never stored. See docs/collectors.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from diagnose import topics
from diagnose.models import Device, Enterprise

# The one device-id grammar (diagnose.schemas.devices), here for the collectors and the accounts.
from diagnose.schemas.devices import DEVICE_ID_RE, DEVICE_ID_RULE, DEVICE_ID_RULE_ZH

__all__ = ["DEVICE_ID_RE", "DEVICE_ID_RULE", "DEVICE_ID_RULE_ZH"]


# Mosquitto 2.x hash: PBKDF2-SHA512, 101 iterations, 12-byte salt ("$7$", as mosquitto_passwd writes).
MOSQUITTO_HASH_ITERATIONS = 101
MOSQUITTO_SALT_BYTES = 12
PASSWORD_BYTES = 18


def valid_device_id(external_id: str) -> bool:
    """Whether `external_id` follows the topic grammar."""
    return bool(DEVICE_ID_RE.fullmatch(external_id))


def check_device_id(external_id: str) -> str:
    """The id unchanged, or ValueError (message in Chinese, then the rule) if it breaks the grammar."""
    if not valid_device_id(external_id):
        raise ValueError(f"{DEVICE_ID_RULE_ZH}（{DEVICE_ID_RULE}）: {external_id[:80]!r}")
    return external_id


def new_password() -> str:
    """A fresh random broker password."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def mosquitto_hash(password: str, *, salt: bytes | None = None) -> str:
    """The `$7$…` hash mosquitto_passwd would write for this password."""
    salt = salt if salt is not None else secrets.token_bytes(MOSQUITTO_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, MOSQUITTO_HASH_ITERATIONS)
    return f"$7${MOSQUITTO_HASH_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_mosquitto_hash(password: str, stored: str) -> bool:
    """Whether `password` matches a `$7$` hash."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    salt = base64.b64decode(parts[3])
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(base64.b64encode(digest).decode(), parts[4])


def derived_password(secret: str, username: str) -> str:
    """A password derived from a parent secret (the simulator's edge nodes: one secret, many accounts)."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Acl:
    """One dynamic-security ACL: publishClientSend, subscribeLiteral or subscribePattern on a topic."""

    acltype: str
    topic: str
    allow: bool = True


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    """A broker login: it may connect only with `clientid` (None: any, for tests' admin only)."""

    username: str
    password_hash: str
    clientid: str | None
    acls: tuple[Acl, ...] = field(default_factory=tuple)
    textname: str = ""


def device_username(uscc: str, external_id: str) -> str:
    """A JSON device's account name (and client id)."""
    return f"{uscc}.{check_device_id(external_id)}"


def device_account(uscc: str, external_id: str, password_hash: str) -> BrokerAccount:
    """A device publishes its own telemetry, birth and status (its will) only, and reads nothing."""
    username = device_username(uscc, external_id)
    acls = tuple(Acl("publishClientSend", topic) for topic in topics.plant_filters(uscc, external_id))
    return BrokerAccount(username, password_hash, username, acls, f"device {external_id}")


def collector_accounts(*, username: str, password: str, client_id: str) -> list[BrokerAccount]:
    """The collector's two logins: the persistent JSON session and its clean Sparkplug host session.

    It reads every plant topic and Sparkplug message, publishes only its STATE and commands.
    """
    hashed = mosquitto_hash(password)
    telemetry = topics.plant_filter(kind="telemetry")
    json_acls = (
        Acl("subscribePattern", telemetry),
        # Mosquitto checks a shared subscription's whole filter, $share/<group>/… included.
        Acl("subscribePattern", topics.shared(topics.ANY, telemetry)),
        Acl("subscribePattern", topics.plant_filter(kind="birth")),
        Acl("subscribePattern", topics.plant_filter(kind="status")),
    )
    spb_acls = (
        Acl("subscribePattern", topics.EVERY_SPARKPLUG),
        Acl("publishClientSend", topics.EVERY_STATE),
        Acl("publishClientSend", topics.sparkplug_filter(message_type="NCMD", edge=topics.REST)),
        Acl("publishClientSend", topics.sparkplug_filter(message_type="DCMD", edge=topics.REST)),
    )
    return [
        BrokerAccount(username, hashed, client_id, json_acls, "collector"),
        BrokerAccount(sparkplug_username(username), hashed, f"{client_id}-spb", spb_acls, "collector"),
    ]


def sparkplug_username(collector_username: str) -> str:
    """The collector's Sparkplug host login (same password, its own client id)."""
    return f"{collector_username}-spb"


def simulator_account(*, username: str, password: str) -> BrokerAccount:
    """The demo's simulated plant: publishes JSON telemetry, births and status of any plant, reads nothing."""
    acls = tuple(Acl("publishClientSend", topic) for topic in topics.plant_filters())
    return BrokerAccount(username, mosquitto_hash(password), username, acls, "simulator")


def edge_username(group: str, edge: str) -> str:
    """A Sparkplug edge node's account name (and client id)."""
    return f"spb.{group}.{edge}"


def edge_account(*, group: str, edge: str, password: str) -> BrokerAccount:
    """An edge node publishes only its own Sparkplug topics and reads only its NCMDs and DCMDs."""
    username = edge_username(group, edge)
    acls = (
        *(Acl("publishClientSend", topic) for topic in topics.sparkplug_edge_filters(group, edge)),
        *edge_command_acls(group, edge),
    )
    return BrokerAccount(username, mosquitto_hash(password), username, acls, "edge node")


def edge_command_acls(group: str, edge: str) -> tuple[Acl, ...]:
    """What an edge node may read: its NCMDs and DCMDs, literal or as Tahu's clients subscribe them
    (`…/NCMD/{edge}/#`, `…/DCMD/{edge}/#`), and the host applications' STATE."""
    return (
        Acl("subscribeLiteral", topics.sparkplug_filter(group, "NCMD", edge)),
        Acl("subscribePattern", topics.sparkplug_filter(group, "NCMD", edge, rest=True)),
        Acl("subscribeLiteral", topics.sparkplug_filter(group, "DCMD", edge)),
        Acl("subscribePattern", topics.sparkplug_filter(group, "DCMD", edge, rest=True)),
        Acl("subscribePattern", topics.EVERY_STATE),
    )


GATEWAY_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
# A suffix starts with "." (never in a gateway name): gateway A's further ids are never gateway B's login.
GATEWAY_SUFFIX_RE = re.compile(r"\.[A-Za-z0-9_.:-]{1,47}")
MAX_GATEWAY_CLIENTS = 256


def gateway_username(uscc: str, name: str) -> str:
    """A gateway's login (and its first connection's client id): `gw.{USCC}.{name}`."""
    if not GATEWAY_NAME_RE.fullmatch(name):
        raise ValueError(
            f"网关名称只能是 1-32 个 A-Z a-z 0-9 _ -（gateway name: 1-32 of A-Z a-z 0-9 _ -）: {name[:40]!r}"
        )
    return f"gw.{uscc}.{name}"


def gateway_client_ids(uscc: str, name: str, suffixes: list[str]) -> list[str]:
    """Every client id a gateway may connect with: its login, then the login plus each suffix."""
    login = gateway_username(uscc, name)
    if len(suffixes) > MAX_GATEWAY_CLIENTS:
        raise ValueError(f"at most {MAX_GATEWAY_CLIENTS} further client ids per gateway")
    ids = [login]
    for suffix in suffixes:
        if not GATEWAY_SUFFIX_RE.fullmatch(suffix):
            raise ValueError(f"client id suffix: '.' then 1-47 of A-Z a-z 0-9 _ . : -: {suffix[:60]!r}")
        if f"{login}{suffix}" not in ids:
            ids.append(f"{login}{suffix}")
    return ids


def gateway_accounts(
    *,
    uscc: str,
    name: str,
    password_hash: str,
    suffixes: list[str] | None = None,
    edge_node: str | None = None,
) -> list[BrokerAccount]:
    """An enterprise's gateway: one broker login per client id, all with one password hash and one role.

    Kind "json" (no `edge_node`): it publishes telemetry, births and statuses of any device of its
    enterprise (`plant/{USCC}/+/…`); the collector checks each device id against the enterprise's registry
    (unknown ones become pending under the cap). With `edge_node`: the Sparkplug topics of that edge node
    in group {USCC}, and its commands. It reads nothing else and may not use another account's client id.
    """
    if edge_node is None:
        acls: tuple[Acl, ...] = tuple(Acl("publishClientSend", topic) for topic in topics.plant_filters(uscc))
    else:
        check_device_id(edge_node)
        acls = (
            *(Acl("publishClientSend", topic) for topic in topics.sparkplug_edge_filters(uscc, edge_node)),
            *edge_command_acls(uscc, edge_node),
        )
    return [
        BrokerAccount(client_id, password_hash, client_id, acls, f"gateway {name}")
        for client_id in gateway_client_ids(uscc, name, list(suffixes or []))
    ]


def admin_account(*, username: str, password: str) -> BrokerAccount:
    """Every topic, any client id: the tests' own account, never the product's."""
    acls = (
        Acl("publishClientSend", "#"),
        Acl("subscribePattern", "#"),
        Acl("publishClientSend", "$CONTROL/#"),
    )
    return BrokerAccount(username, mosquitto_hash(password), None, acls, "admin")


def registry_accounts(*, session: Session) -> list[BrokerAccount]:
    """Every active JSON device with credentials (pending devices get no account until confirmed)."""
    rows = session.exec(
        select(Enterprise.uscc, Device)
        .join(Enterprise)
        .where(
            Device.registry_status == "active",
            col(Device.mqtt_password_hash).is_not(None),
        )
        .order_by(col(Device.id))
    ).all()
    return [
        device_account(uscc, device.external_id, device.mqtt_password_hash or "")
        for uscc, device in rows
        if valid_device_id(device.external_id) and (device.mqtt_password_hash or "").startswith("$7$")
    ]


def dynsec_config(accounts: list[BrokerAccount]) -> dict[str, Any]:
    """Mosquitto's dynamic-security JSON for these accounts: one role per account, nothing by default."""
    clients: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    seen: set[str] = set()
    for account in accounts:
        if account.username in seen:
            raise ValueError(f"two broker accounts named {account.username!r}")
        seen.add(account.username)
        _, _, iterations, salt, digest = account.password_hash.split("$")
        client: dict[str, Any] = {
            "username": account.username,
            "textname": account.textname,
            "password": digest,
            "salt": salt,
            "iterations": int(iterations),
            "roles": [{"rolename": f"r:{account.username}"}],
        }
        if account.clientid is not None:
            client["clientid"] = account.clientid
        clients.append(client)
        acls = [
            {"acltype": acl.acltype, "topic": acl.topic, "priority": 0, "allow": acl.allow}
            for acl in account.acls
        ]
        roles.append({"rolename": f"r:{account.username}", "acls": acls})
    return {
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
        "clients": clients,
        "groups": [],
        "roles": roles,
    }
