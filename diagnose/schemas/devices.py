"""A plant's devices: registration, bulk import with a dry run, MQTT credentials shown once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from diagnose.schemas.common import Id, In, Out

# The one grammar of device ids, as they appear in MQTT topics (plant/<USCC>/<device_id>/…), account names
# and file paths: 1-64 of A-Z a-z 0-9 _ . : -, at least one of them not a dot. No whitespace, no control
# characters, none of MQTT's / + # (an id can never widen a topic filter or break an account name), and
# never "." or ".." (nor any all-dot id), which name a folder rather than a device wherever an id becomes
# a path segment. The body is written without look-arounds so pydantic's regex engine takes it as it is.
DEVICE_ID_MAX = 64
DEVICE_ID_BODY = r"[A-Za-z0-9_.:-]*[A-Za-z0-9_:-][A-Za-z0-9_.:-]*"
# \A…\Z, not ^…$: Python's "$" also matches before a trailing newline, which let "D01\n" through.
DEVICE_ID_RE = re.compile(rf"\A(?=.{{1,{DEVICE_ID_MAX}}}\Z){DEVICE_ID_BODY}\Z", re.DOTALL)
DEVICE_ID_RULE = "1-64 of A-Z a-z 0-9 _ . : -, not only dots (no spaces, control characters, / + #)"
DEVICE_ID_RULE_ZH = "设备编号须为 1–64 位字母、数字或 _ . : -，不能全是点，不得含空格、控制字符或 / + #"

ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=DEVICE_ID_MAX,
        pattern=f"^{DEVICE_ID_BODY}$",  # DEVICE_ID_RE, for pydantic's engine (its "$" is the end of text)
        title="设备编号",
        description="The device id in the MQTT topic: 1-64 of A-Z a-z 0-9 _ . : -, not only dots",
    ),
]
Protocol = Literal["json", "sparkplug", "none"]
Sensor = Literal["full", "current", "power"]
MAX_IMPORT = 500


class DeviceCreate(In):
    """A device to register in the enterprise's ledger."""

    external_id: ExternalId
    name: str = Field(default="", max_length=128, title="设备名称")
    kind: str = Field(default="", max_length=64, title="设备类型")
    ideal_cycle_s: float | None = Field(default=None, gt=0, le=86400, title="理论节拍（秒）")
    networked: bool = Field(default=True, title="已联网")
    protocol: Protocol = Field(default="json", title="接入协议")
    sensor: Sensor = Field(default="full", title="采集方式")


class DeviceImport(In):
    """Several devices at once; with dry_run nothing is stored and the answer says what would be."""

    devices: list[DeviceCreate] = Field(min_length=1, max_length=MAX_IMPORT, title="设备清单")
    dry_run: bool = Field(default=False, title="仅校验")


class DeviceReview(In):
    """Confirm or reject (with the reason) pending devices of the plant, chosen in the list."""

    decision: Literal["confirm", "reject"] = Field(title="处理")
    device_id: list[Id] = Field(min_length=1, max_length=10_000, title="设备")
    reason: str = Field(default="", max_length=500, title="理由")


class DeadLetterReplay(In):
    """Replay the chosen dead letters of the plant, or all of them."""

    all: bool = Field(default=False, title="全部")
    letter_id: list[Id] = Field(default_factory=list, max_length=10_000, title="消息")


class DeviceOut(Out):
    """A device with its live state."""

    id: int = Field(title="编号")
    external_id: str = Field(title="设备编号")
    name: str = Field(title="设备名称")
    kind: str = Field(title="设备类型")
    ideal_cycle_s: float | None = Field(title="理论节拍（秒）")
    networked: bool = Field(title="已联网")
    protocol: str = Field(title="接入协议")
    sensor: str = Field(title="采集方式")
    registry_status: Literal["active", "pending", "retired"] = Field(title="登记状态")
    online: bool = Field(title="在线")
    last_state: str | None = Field(title="最近状态")
    last_seen_at: datetime | None = Field(title="最近上报")
    mqtt_username: str | None = Field(title="MQTT 用户名")


class DeviceList(Out):
    """The enterprise's devices."""

    items: list[DeviceOut] = Field(title="设备")


class ImportOut(Out):
    """What an import stored (or, in a dry run, would store)."""

    dry_run: bool = Field(title="仅校验")
    created: int = Field(title="新增数量")
    items: list[DeviceOut] = Field(title="设备", description="Stored devices; empty in a dry run")
    external_ids: list[str] = Field(title="设备编号")


class CredentialsOut(Out):
    """A device's new MQTT password: shown this once, stored only as a hash."""

    device_id: int = Field(title="设备")
    username: str = Field(title="MQTT 用户名")
    password: str = Field(title="MQTT 密码")
    broker_url: str = Field(title="代理地址")
    topics: dict[str, str] = Field(title="主题")


class GatewayForm(In):
    """The page's form creating a gateway account (the service checks name, kind and edge node)."""

    name: str = Field(default="", max_length=64, title="名称")
    kind: str = Field(default="json", max_length=16, title="类型")
    edge_node: str = Field(default="", max_length=64, title="Sparkplug 边缘节点编号")
    client_suffixes: str = Field(default="", max_length=2_000, title="更多客户端标识")


class ProfileForm(In):
    """The payload-profile page's form: choose, try a sample, save or remove (the service checks the rest)."""

    source: str = Field(default="", max_length=64, title="数据来源")
    profile: str = Field(default="", max_length=64, title="解析配置")
    spec: str = Field(default="", max_length=20_000, title="自定义配置")
    sample: str = Field(default="", max_length=20_000, title="示例消息")
    action: str = Field(default="", max_length=16, title="操作")
