"""Closed like Mosquitto: the embedded amqtt broker's plugin reading Mosquitto's dynamic-security JSON.

It refuses anonymous clients and wrong passwords, binds each account to its client id and lets each
account publish and subscribe only where its ACLs allow. Imported by amqtt only (the `demo` extra).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amqtt.contexts import Action, BaseContext
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session


def topic_matches(topic: str, pattern: str) -> bool:
    """MQTT matching of a topic (or a subscription filter, taken literally) against an ACL pattern."""
    parts, wanted = topic.split("/"), pattern.split("/")
    for index, piece in enumerate(wanted):
        if piece == "#":
            return True
        if index >= len(parts) or (piece != "+" and piece != parts[index]):
            return False
    return len(parts) == len(wanted)


@dataclass(frozen=True)
class _Client:
    salt: bytes
    digest: str
    iterations: int
    clientid: str | None
    acls: tuple[tuple[str, str, bool], ...]


def load_accounts(path: Path) -> dict[str, _Client]:
    """username → account, from the dynamic-security JSON."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    roles = {role["rolename"]: role.get("acls", []) for role in data.get("roles", [])}
    accounts: dict[str, _Client] = {}
    for client in data.get("clients", []):
        acls = [
            (acl["acltype"], acl["topic"], bool(acl.get("allow", True)))
            for role in client.get("roles", [])
            for acl in roles.get(role["rolename"], [])
        ]
        accounts[client["username"]] = _Client(
            base64.b64decode(client["salt"]),
            client["password"],
            int(client["iterations"]),
            client.get("clientid"),
            tuple(acls),
        )
    return accounts


class DynsecPlugin(BaseAuthPlugin, BaseTopicPlugin):
    """Authentication and topic ACLs from Mosquitto's dynamic-security JSON."""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.accounts = load_accounts(Path(self.config.accounts_file))

    async def authenticate(self, *, session: Session) -> bool | None:
        """Known user, right password, and the client id the account is bound to."""
        account = self.accounts.get(session.username or "")
        if account is None or session.password is None:
            return False
        password = session.password if isinstance(session.password, str) else session.password.decode()
        digest = hashlib.pbkdf2_hmac("sha512", password.encode(), account.salt, account.iterations)
        if not hmac.compare_digest(base64.b64encode(digest).decode(), account.digest):
            return False
        return account.clientid is None or account.clientid == session.client_id

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        """Publish and subscribe only where the account's ACLs allow; receiving follows subscriptions."""
        if action == Action.RECEIVE:
            return True
        account = self.accounts.get((session.username if session else None) or "")
        if account is None or not topic:
            return False
        kinds = (
            ("publishClientSend",) if action == Action.PUBLISH else ("subscribeLiteral", "subscribePattern")
        )
        for kind, pattern, allow in account.acls:
            if kind not in kinds:
                continue
            hit = topic == pattern if kind == "subscribeLiteral" else topic_matches(topic, pattern)
            if hit:
                return allow
        return False

    @dataclass
    class Config:
        """Where the dynamic-security JSON is."""

        accounts_file: str = ""
