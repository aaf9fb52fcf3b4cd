"""Checkpoints of the audit chain's head, kept outside the database: an append-only JSONL file.

Each line is one signed tree head in Certificate Transparency's sense: the number of rows, the last row's
id, its chain value, the legacy boundary, when, and an HMAC of all that with the audit key (so a line cannot
be forged without the key either). The operator puts the file where the database's users cannot write (an
append-only mount, `chattr +a`, another host); `diagnose audit-log verify` reads every line back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from diagnose.models import AuditChainBoundary
from diagnose.services.audit import audit_log

TAIL_BYTES = 4096  # enough for the last line, which is about 300 bytes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One line of the checkpoint file."""

    at: str
    rows: int
    last_id: int
    head: str
    boundary: int
    key_id: str
    sig: str = ""

    def signed_part(self) -> bytes:
        """The canonical bytes the signature covers (everything but the signature)."""
        fields = asdict(self)
        fields.pop("sig")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class ReadLine:
    """A line of the file as read back: the checkpoint, or why the line is not one."""

    line: int
    checkpoint: Checkpoint | None
    problem: str = ""


def sign(key: bytes, checkpoint: Checkpoint) -> Checkpoint:
    """The checkpoint with its signature."""
    sig = hmac.new(key, checkpoint.signed_part(), hashlib.sha256).hexdigest()
    return Checkpoint(**(asdict(checkpoint) | {"sig": sig}))


def legacy_boundary(*, session: Session) -> list[int]:
    """The legacy boundaries recorded in the database (exactly one, unless someone tampered with them)."""
    rows = session.exec(select(AuditChainBoundary).order_by(col(AuditChainBoundary.id))).all()
    return [row.legacy_last_id for row in rows]


def current(*, session: Session, key: bytes, now: datetime | None = None) -> Checkpoint:
    """A signed checkpoint of the chain's head as this session sees it."""
    found = audit_log.head(session=session)
    boundaries = legacy_boundary(session=session)
    checkpoint = Checkpoint(
        at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        rows=found.rows,
        last_id=found.last_id,
        head=found.value,
        boundary=boundaries[0] if boundaries else -1,
        key_id=audit_log.key_id(key),
    )
    return sign(key, checkpoint)


def append(
    *, session: Session, key: bytes, path: Path, now: datetime | None = None
) -> tuple[Checkpoint, bool]:
    """Append a checkpoint of the head to `path` unless its last line already records this head.

    Returns the checkpoint and whether a line was written. The line is written with O_APPEND and synced.
    """
    checkpoint = current(session=session, key=key, now=now)
    last = _last_checkpoint(path)
    if last is not None and (last.rows, last.head, last.key_id) == (
        checkpoint.rows,
        checkpoint.head,
        checkpoint.key_id,
    ):
        return last, False
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(checkpoint), sort_keys=True, separators=(",", ":")) + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return checkpoint, True


def read(path: Path, key: bytes) -> list[ReadLine]:
    """Every line of the file, each checked: a signed checkpoint of this key, or the reason it is not."""
    found: list[ReadLine] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            checkpoint = _parse(raw)
            if checkpoint is None:
                found.append(ReadLine(number, None, "not a checkpoint (unreadable line)"))
            elif checkpoint.key_id != audit_log.key_id(key):
                found.append(ReadLine(number, checkpoint, "written with another key than this one"))
            elif not hmac.compare_digest(sign(key, checkpoint).sig, checkpoint.sig):
                found.append(ReadLine(number, checkpoint, "its signature does not match (forged or edited)"))
            else:
                found.append(ReadLine(number, checkpoint))
    return found


def _parse(raw: bytes) -> Checkpoint | None:
    try:
        fields = json.loads(raw)
        return Checkpoint(
            at=str(fields["at"]),
            rows=int(fields["rows"]),
            last_id=int(fields["last_id"]),
            head=str(fields["head"]),
            boundary=int(fields["boundary"]),
            key_id=str(fields["key_id"]),
            sig=str(fields["sig"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _last_checkpoint(path: Path) -> Checkpoint | None:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
    except FileNotFoundError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    return _parse(lines[-1]) if lines else None
