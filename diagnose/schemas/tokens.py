"""API tokens and who holds them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from diagnose.schemas.accounts import RoleName
from diagnose.schemas.common import In, Out

Scope = Literal["read", "write"]


class TokenIssue(In):
    """What to issue: the scope and the lifetime in days."""

    scope: Scope = Field(default="write", title="权限范围", description="read: GET only; write: everything")
    ttl_days: int = Field(default=90, ge=1, le=366, title="有效天数")


class MeOut(Out):
    """The holder of the token."""

    id: int = Field(title="编号")
    username: str = Field(title="用户名")
    role: RoleName = Field(title="角色")
    display_name: str = Field(
        title="姓名", description="The 姓名 (full_name), or the username when no name is recorded"
    )
    full_name: str = Field(title="姓名", description="'' when not recorded")
    title: str = Field(title="职务")
    phone: str = Field(title="联系电话")
    scope: Scope = Field(title="权限范围")
    expires_at: datetime | None = Field(title="到期时间")
