"""Corrected versions of the SME digital-level index as maintained data, policy-catalogue style: a bureau uploads
one (validated by the pure `scoring.sme.versions.check_import` against the index in force, stored as a draft
with its diff), publishes it, and from then on new ratings use it. Docs: docs/scoring.md, "Corrected versions
of the index".

The index in force is the newest published version, else the packaged `scoring/sme/data/index.json`. Rows are
written once, so a parsed index is cached by the SHA-256 of the file it was parsed from: it cannot go stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import Role, SmeIndexVersion, User
from diagnose.models.base import utcnow
from diagnose.schemas.errors import FieldError
from diagnose.services.audit import audit_log
from diagnose.services.shopfloor import import_files
from diagnose.services.shopfloor.import_files import ImportLimits
from scoring.sme import SmeIndex, load_index, parse_index
from scoring.sme.versions import Change, check_import, diff_index, summary_zh

MAX_INDEX_BYTES = 512 * 1024  # the packaged index is 26 kB
MAX_NOTE_CHARS = 500
MAX_VERSION_CHARS = 32  # smeresult.index_version
_PARSED: dict[str, SmeIndex] = {}  # by the SHA-256 of the uploaded bytes a row was written from (write-once)
_PARSED_MAX = 16


@dataclass(frozen=True)
class Preview:
    """A stored version and what it changes against the index now in force (nothing when it is in force)."""

    row: SmeIndexVersion
    index: SmeIndex
    against: SmeIndex
    changes: tuple[Change, ...]
    summary_zh: str


def _check_bureau(actor: User) -> None:
    if actor.role != Role.bureau or actor.bureau_id is None:
        raise FieldError("", "bureau_only", code="forbidden", actor=actor.username)


def _parsed(row: SmeIndexVersion) -> SmeIndex:
    """The row's index, validated once per stored file."""
    found = _PARSED.get(row.sha256)
    if found is None:
        found = parse_index(row.content)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[row.sha256] = found
    return found


def _published_newest_first() -> Any:
    return (
        select(SmeIndexVersion)
        .where(SmeIndexVersion.status == "published")
        .order_by(col(SmeIndexVersion.published_at).desc(), col(SmeIndexVersion.id).desc())
    )


def in_force_row(*, session: Session) -> SmeIndexVersion | None:
    """The published version in force (the newest published), or None: the packaged index is in force."""
    row: SmeIndexVersion | None = session.exec(_published_newest_first()).first()
    return row


def in_force(session: Session) -> SmeIndex:
    """The index new ratings use: the newest published version, else the packaged one."""
    row = in_force_row(session=session)
    return load_index() if row is None else _parsed(row)


def index_named(*, session: Session, version: str) -> SmeIndex | None:
    """The index of this version (packaged, or any stored one), to read a rating in its own index's words;
    None when no such version is known."""
    packaged = load_index()
    if version == packaged.version:
        return packaged
    row = session.exec(select(SmeIndexVersion).where(SmeIndexVersion.version == version)).first()
    return _parsed(row) if row is not None else None


def index_of_rating(*, session: Session, version: str) -> SmeIndex:
    """The index a stored rating names (its `index_version`), else the one in force."""
    return index_named(session=session, version=version) or in_force(session)


def versions(*, session: Session) -> list[SmeIndexVersion]:
    """Every stored version, newest upload first."""
    return list(session.exec(select(SmeIndexVersion).order_by(col(SmeIndexVersion.id).desc())))


def get_version(*, session: Session, version_id: int) -> SmeIndexVersion:
    """A stored version; FieldError (not found) otherwise."""
    row = session.get(SmeIndexVersion, version_id)
    if row is None:
        raise FieldError("id", "no_index_version")
    return row


def preview(*, session: Session, row: SmeIndexVersion) -> Preview:
    """A stored version's diff against the index in force now (a draft: what publishing it would change)."""
    current, index = in_force(session), _parsed(row)
    return Preview(row, index, current, diff_index(current, index), summary_zh(current, index))


def _refusal(exc: ValueError) -> str:
    """A validation error in one line per problem (pydantic lists each with its location)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for error in errors()[:5]:
            where = ".".join(str(p) for p in error.get("loc", ()))
            parts.append(f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", "")))
        return "; ".join(parts)
    return str(exc)


def upload(
    *,
    session: Session,
    actor: User,
    raw_bytes: bytes,
    note: str = "",
    max_bytes: int = MAX_INDEX_BYTES,
) -> Preview:
    """Validate a corrected version of the index (size, JSON, the index's own checks, a new `version`) against
    the index in force and store it as a draft, audited (the caller commits). Refused with a FieldError naming
    what is wrong; nothing is stored then."""
    _check_bureau(actor)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise FieldError("note", "max_chars", max_length=MAX_NOTE_CHARS)
    import_files.check_size(raw_bytes, ImportLimits(max_bytes=max_bytes), "file")
    if not raw_bytes.strip():
        raise FieldError("file", "file_empty")
    document = import_files.load_json(raw_bytes, "file")
    current = in_force(session)
    try:
        index, _changes = check_import(document, current)
    except ValueError as exc:
        raise FieldError("file", "index_checks", detail=_refusal(exc)) from None
    if len(index.version) > MAX_VERSION_CHARS:
        raise FieldError("file", "index_version_long", max_length=MAX_VERSION_CHARS)
    known = {load_index().version, current.version}
    taken = session.exec(select(SmeIndexVersion).where(SmeIndexVersion.version == index.version)).first()
    if index.version in known or taken is not None:
        raise FieldError("file", "index_version_known", version=index.version)
    row = SmeIndexVersion(
        version=index.version,
        status="draft",
        content=document,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        note=note,
        uploaded_by=actor.id,
        bureau_id=actor.bureau_id,
    )
    session.add(row)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="sme_index.upload", entity="sme_index", entity_id=row.id,
        detail={"version": row.version, "sha256": row.sha256, **({"note": note} if note else {})},
    )  # fmt: skip
    return preview(session=session, row=row)


def publish(*, session: Session, actor: User, version_id: int) -> SmeIndexVersion:
    """Put a draft in force (the caller commits): new ratings use it from now on; ratings already made keep
    the version they name. Audited."""
    _check_bureau(actor)
    row = get_version(session=session, version_id=version_id)
    if row.status != "draft":
        raise FieldError("status", "index_published", version=row.version, status=row.status)
    before = in_force(session)
    _parsed(row)  # validated at upload; parse again so a row that no longer validates is never put in force
    row.status, row.published_by, row.published_at = "published", actor.id, utcnow()
    session.add(row)
    session.flush()
    audit_log.record(
        session=session, actor=actor, action="sme_index.publish", entity="sme_index", entity_id=row.id,
        detail={"version": row.version, "from": before.version},
    )  # fmt: skip
    return row


def history(*, session: Session) -> list[tuple[SmeIndexVersion, str]]:
    """Every stored version with its standing: in_force, superseded (published, then replaced) or draft."""
    current = in_force_row(session=session)
    return [
        (
            row,
            "draft"
            if row.status == "draft"
            else "in_force"
            if current is not None and row.id == current.id
            else "superseded",
        )
        for row in versions(session=session)
    ]
