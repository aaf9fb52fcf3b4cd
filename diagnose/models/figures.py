"""The version of each table cached figures may read, moved by the database itself (see data_version)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class TableVersion(SQLModel, table=True):
    """One table's change counter: triggers (migration 0039) add one on every insert, update and delete of
    `name`, in the writing transaction, whatever wrote it (the ORM, raw SQL, another process)."""

    name: str = Field(primary_key=True, max_length=64)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
