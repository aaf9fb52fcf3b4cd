"""Organisations and people: regions, enterprises, service providers, bureaus, users."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from diagnose.models.base import Fen, UTCDateTime, utcnow


class Role(StrEnum):
    """What a user may do; each role is tied to one kind of organisation (admin to none)."""

    admin = "admin"
    bureau = "bureau"
    provider = "provider"
    enterprise = "enterprise"


class Region(SQLModel, table=True):
    """An administrative division by its GB/T 2260 code, e.g. 320412 武进区 under 320400 常州市."""

    code: str = Field(primary_key=True, max_length=6, min_length=6)
    name: str = Field(max_length=64)
    level: str = Field(max_length=16)  # province | city | district
    parent_code: str | None = Field(default=None, foreign_key="region.code", index=True)


class Enterprise(SQLModel, table=True):
    """A manufacturer being diagnosed, identified by its unified social credit code (GB 32100)."""

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(unique=True, index=True, max_length=18, min_length=18)
    name: str = Field(max_length=128, index=True)
    region_code: str = Field(foreign_key="region.code", index=True)
    industry_code: str = Field(max_length=8)  # GB/T 4754-2017 class, e.g. "3484"
    industry_type: str = Field(default="discrete", max_length=16)  # discrete | process
    scale: str = Field(default="medium", max_length=16)  # micro | small | medium | large
    revenue_fen: int | None = Field(default=None, sa_column=Column(Fen, nullable=True))
    strategic_emerging: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Provider(SQLModel, table=True):
    """A diagnosis service provider in a bureau's resource pool."""

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(unique=True, index=True, max_length=18, min_length=18)
    name: str = Field(max_length=128)
    region_code: str = Field(foreign_key="region.code")
    contact: str | None = Field(default=None, max_length=128)


class Bureau(SQLModel, table=True):
    """A government bureau (工信局) buying diagnoses for the region it governs and those under it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    region_code: str = Field(foreign_key="region.code", index=True)


class BureauProvider(SQLModel, table=True):
    """A provider admitted to a bureau's resource pool (服务商资源池)."""

    bureau_id: int = Field(foreign_key="bureau.id", primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", primary_key=True)


class PoolEntry(SQLModel, table=True):
    """A bureau's decision about a provider for one year: added, suspended or removed, with the reason.

    The standing admissions (BureauProvider) hold every year; a year's entries add providers for that year
    or take standing ones out of it. Assignment is only from the year's pool.
    """

    __tablename__ = "pool_entry"
    __table_args__ = (UniqueConstraint("bureau_id", "provider_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    bureau_id: int = Field(foreign_key="bureau.id", index=True)
    provider_id: int = Field(foreign_key="provider.id")
    year: int
    status: str = Field(default="active", max_length=16)  # active | suspended | removed
    reason: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class User(SQLModel, table=True):
    """A person who logs in; bureau, provider and enterprise users belong to one organisation.

    Pages, timelines, the audit view and reports name people by `full_name` (姓名), never by their login:
    `diagnose.services.accounts.orgs.display_name(user)` (the login only for a legacy account with no name recorded).
    """

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(default="", max_length=64)  # 姓名
    title: str = Field(default="", max_length=64)  # 职务, e.g. 高级咨询师
    phone: str = Field(default="", max_length=32)  # a mobile or landline number, as typed (checked)
    email: str = Field(default="", max_length=254)  # where notifications are e-mailed (when SMTP is set)
    role: str = Field(max_length=16)
    bureau_id: int | None = Field(default=None, foreign_key="bureau.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    active: bool = Field(default=True)
    api_token_hash: str | None = Field(default=None, max_length=128, index=True)
    api_token_scope: str | None = Field(default=None, max_length=8)  # read | write
    api_token_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Bumped by logout, deactivation, a password change or reset: every cookie and API token issued
    # under an older version stops working (reactivation does not bring them back).
    session_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one typed username from one client address, and the lock they earned (等保 2.0).

    Keyed on the name as typed, whether or not such a user exists, so a lock says nothing about the account;
    keyed on the address too, so failures from elsewhere never lock the account's owner out.
    """

    __table_args__ = (UniqueConstraint("username", "source", name="uq_loginthrottle_username_source"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    source: str = Field(max_length=64)  # the client address, as the rate limits see it
    failures: int = Field(default=0)  # since the last success, lock or unlock
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )


class SmePilot(SQLModel, table=True):
    """An enterprise in the SME digital-transformation pilot (财建〔2023〕117号), rated on site before and after
    (issue #26). A fact of its own, beside the enterprise: the enterprise row stays as older code reads it."""

    enterprise_id: int = Field(primary_key=True, foreign_key="enterprise.id")
    marked_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
