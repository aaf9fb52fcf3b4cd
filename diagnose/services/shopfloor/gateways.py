"""Gateway accounts (issue #21): one enterprise-scoped broker login serving many machines.

A plant's gateway (EMQX Neuron, Node-RED, the ThingsBoard gateway, a Sparkplug edge node) publishes for any
device of its enterprise with one password. The password is shown once; only its Mosquitto hash is kept.
Creating and revoking are audited; `diagnose devices broker-auth` then writes the broker's accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from diagnose import topics
from diagnose.models import Enterprise, GatewayAccount, User
from diagnose.models.base import utcnow
from diagnose.services.audit import audit_log
from diagnose.services.shopfloor import broker_accounts

KINDS = ("json", "sparkplug")


@dataclass(frozen=True, slots=True)
class GatewayCredentials:
    """What the plant's engineer types into the gateway, shown once."""

    username: str
    password: str
    client_ids: tuple[str, ...]
    topics: tuple[str, ...]


def gateway_topics(uscc: str, gateway: GatewayAccount) -> tuple[str, ...]:
    """The topics the gateway may publish to, as the engineer reads them."""
    if gateway.kind == "sparkplug":
        return topics.sparkplug_edge_filters(uscc, gateway.edge_node)
    return tuple(topics.plant_filters(uscc))


def create_gateway(
    *,
    session: Session,
    actor: User | str,
    enterprise: Enterprise,
    name: str,
    kind: str = "json",
    edge_node: str | None = None,
    suffixes: list[str] | None = None,
) -> tuple[GatewayAccount, GatewayCredentials]:
    """A new gateway account of `enterprise`; ValueError (a reason the user can act on) if refused."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if kind == "sparkplug":
        if not edge_node:
            raise ValueError("a Sparkplug gateway needs its edge node id")
        broker_accounts.check_device_id(edge_node)
    else:
        edge_node = None
    client_ids = broker_accounts.gateway_client_ids(enterprise.uscc, name, list(suffixes or []))
    taken = session.exec(
        select(GatewayAccount).where(
            GatewayAccount.enterprise_id == enterprise.id,
            GatewayAccount.name == name,
        )
    ).first()
    if taken is not None:
        raise ValueError(f"网关 {name} 已存在（gateway {name} exists; revoked names are not reused）")
    password = broker_accounts.new_password()
    gateway = GatewayAccount(
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        name=name,
        kind=kind,
        edge_node=edge_node,
        client_suffixes=[cid[len(client_ids[0]) :] for cid in client_ids[1:]],
        password_hash=broker_accounts.mosquitto_hash(password),
        created_at=utcnow(),
        created_by=actor if isinstance(actor, str) else actor.username,
    )
    session.add(gateway)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="gateway.create",
        entity="gateway",
        entity_id=gateway.id,
        detail={"uscc": enterprise.uscc, "username": client_ids[0], "kind": kind, "client_ids": client_ids},
    )
    return gateway, GatewayCredentials(
        client_ids[0], password, tuple(client_ids), gateway_topics(enterprise.uscc, gateway)
    )


def list_gateways(
    *, session: Session, enterprise_id: int | None = None, include_revoked: bool = False
) -> list[tuple[str, GatewayAccount]]:
    """(USCC, gateway) of one enterprise or all, oldest first."""
    query = select(Enterprise.uscc, GatewayAccount).join(Enterprise).order_by(col(GatewayAccount.id))
    if enterprise_id is not None:
        query = query.where(GatewayAccount.enterprise_id == enterprise_id)
    if not include_revoked:
        query = query.where(col(GatewayAccount.revoked_at).is_(None))
    return [(uscc, gateway) for uscc, gateway in session.exec(query).all()]


def find_gateway(*, session: Session, uscc: str, name: str) -> GatewayAccount | None:
    """The enterprise's gateway of that name (revoked or not), or None."""
    return session.exec(
        select(GatewayAccount).join(Enterprise).where(Enterprise.uscc == uscc, GatewayAccount.name == name)
    ).first()


def revoke_gateway(*, session: Session, actor: User | str, gateway: GatewayAccount) -> GatewayAccount:
    """Revoke: the next `broker-auth` leaves its logins out (and a broker restart closes them)."""
    if gateway.revoked_at is None:
        gateway.revoked_at = utcnow()
        session.add(gateway)
        session.flush()
        audit_log.record(
            session=session,
            actor=actor,
            action="gateway.revoke",
            entity="gateway",
            entity_id=gateway.id,
            detail={"name": gateway.name},
        )
    return gateway


def rotate_gateway_password(
    *, session: Session, actor: User | str, uscc: str, gateway: GatewayAccount
) -> GatewayCredentials:
    """A new password for a live gateway, shown once; the old one works until the broker's accounts are rewritten."""
    if gateway.revoked_at is not None:
        raise ValueError("网关账号已吊销（the gateway account is revoked）")
    password = broker_accounts.new_password()
    gateway.password_hash = broker_accounts.mosquitto_hash(password)
    session.add(gateway)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="gateway.rotate",
        entity="gateway",
        entity_id=gateway.id,
        detail={"name": gateway.name},
    )
    client_ids = broker_accounts.gateway_client_ids(uscc, gateway.name, list(gateway.client_suffixes))
    return GatewayCredentials(client_ids[0], password, tuple(client_ids), gateway_topics(uscc, gateway))


def gateway_broker_accounts(*, session: Session) -> list[broker_accounts.BrokerAccount]:
    """Every live gateway's broker logins, for the dynamic-security file."""
    accounts: list[broker_accounts.BrokerAccount] = []
    for uscc, gateway in list_gateways(session=session):
        accounts += broker_accounts.gateway_accounts(
            uscc=uscc,
            name=gateway.name,
            password_hash=gateway.password_hash,
            suffixes=list(gateway.client_suffixes),
            edge_node=gateway.edge_node if gateway.kind == "sparkplug" else None,
        )
    return accounts
