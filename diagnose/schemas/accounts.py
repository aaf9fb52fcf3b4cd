"""Accounts: logging in, one's own password, and the administrator's users (create, deactivate, reset).

Passwords are `Secret`: kept exactly as typed (no trimming); their rules (length, classes, rarity) are the
service's (diagnose.services.accounts.accounts), shared with the CLI.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from diagnose.models import Role
from diagnose.schemas.common import MAX_ID, In, Secret
from diagnose.schemas.errors import FieldError

# Role (diagnose/models/orgs.py) as a Literal, so the API schema lists the values inline as before; a test
# holds the two equal.
RoleName = Literal["admin", "bureau", "provider", "enterprise"]
Username = Annotated[str, Field(min_length=1, max_length=64, title="用户名")]
ORGANISATION_KINDS = (Role.bureau, Role.provider, Role.enterprise)


def _organisation(value: str) -> str:
    kind, sep, ident = value.partition(":")
    if not sep or kind not in ORGANISATION_KINDS or not ident.isdigit() or not 1 <= int(ident) <= MAX_ID:
        raise FieldError("", "not_a_choice")
    return value


# How people write phone numbers in China: a mobile (138 1234 5678, +86 …), a landline with its area code
# (0512-5301 2345, (0519) 8888 1234, with an extension after "-", 转 or "ext"), or a 400/800 service number.
_MOBILE = re.compile(r"(?:\+86|0086|86)?1[3-9]\d{9}")
_SERVICE = re.compile(r"[48]00\d{7}")
_LANDLINE = re.compile(
    r"[(（]?0\d{2,3}[)）]?[\s-]?\d{3,4}[\s-]?\d{4}(?:\s*(?:-|转|ext\.?|x)\s*\d{1,6})?", re.IGNORECASE
)


def check_phone(value: str) -> str:
    """The phone number as typed (spaces tidied), or ValueError; '' (none) is allowed."""
    phone = " ".join(value.split())
    if not phone:
        return ""
    compact = re.sub(r"[\s-]", "", phone)
    if len(phone) > 32 or not (
        _MOBILE.fullmatch(compact) or _SERVICE.fullmatch(compact) or _LANDLINE.fullmatch(phone)
    ):
        raise FieldError("", "phone")
    return phone


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_email(value: str) -> str:
    """The address trimmed, or ValueError; '' (none) is allowed."""
    email = value.strip()
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise FieldError("", "email")
    return email


Email = Annotated[str, Field(default="", max_length=254, title="电子邮箱"), AfterValidator(check_email)]
FullName = Annotated[str, Field(min_length=1, max_length=64, title="姓名")]
JobTitle = Annotated[str, Field(default="", max_length=64, title="职务")]
Phone = Annotated[str, Field(default="", max_length=32, title="联系电话"), AfterValidator(check_phone)]


# An organisation as the new-user form's list names it: 'bureau:3', 'provider:7', 'enterprise:12'.
OrganisationRef = Annotated[str, Field(max_length=24, title="所属单位"), AfterValidator(_organisation)]


class LoginForm(In):
    """The login form."""

    username: Username
    password: Secret = Field(title="密码")


class PasswordChange(In):
    """One's own new password: the current one, then the new one twice."""

    current_password: Secret = Field(title="当前密码")
    new_password: Secret = Field(title="新密码")
    new_password_again: Secret = Field(title="再次输入新密码")

    @field_validator("new_password_again")
    @classmethod
    def _same(cls, value: str, info: ValidationInfo) -> str:
        if "new_password" in info.data and value != info.data["new_password"]:
            raise FieldError("", "passwords_differ")
        return value


class PasswordReset(In):
    """The administrator's new password for a user."""

    password: Secret = Field(title="新密码")


class UserCreate(In):
    """A user to create (admin): every role but the administrator's belongs to an organisation of its kind."""

    username: Username
    full_name: FullName
    title: JobTitle = ""
    phone: Phone = ""
    password: Secret = Field(title="密码")
    role: RoleName = Field(title="角色")
    organisation_id: OrganisationRef | None = Field(default=None, validate_default=True, title="所属单位")

    @field_validator("organisation_id")
    @classmethod
    def _fits_the_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role is None or role == Role.admin:
            return None  # a wrong role is reported on its own; an administrator has no organisation
        if value is None:
            raise FieldError("", "organisation_required", role=str(role))
        if value.partition(":")[0] != role:
            raise FieldError("", "organisation_kind", kind=str(role))
        return value

    @property
    def organisation(self) -> tuple[str, int] | None:
        """(kind, id) of the chosen organisation; None for an administrator."""
        if self.organisation_id is None:
            return None
        kind, _sep, ident = self.organisation_id.partition(":")
        return kind, int(ident)


class UserActive(In):
    """Deactivate (with the reason) or reactivate a user."""

    active: bool = Field(title="启用")
    reason: str = Field(default="", max_length=500, title="原因")


class PersonForm(In):
    """A user's 姓名, 职务, phone and e-mail: the admin's form for anyone, the account page for oneself."""

    full_name: FullName
    title: JobTitle = ""
    phone: Phone = ""
    email: Email = ""
