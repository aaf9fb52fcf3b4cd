"""Policy versions as maintained data: import (validated, quotes checked, diffed), publish, and the catalogue.

The catalogue in force is the shipped scoring/policies/*.json with every published version put in place of
the shipped (or earlier) document of the same policy id. Superseded versions stay; a result records the
catalogue version and the policy versions it used, so an old plan can be re-run on the catalogue it had.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import Bureau, PolicyVersion, Role, User
from diagnose.models.base import utcnow
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from scoring.subsidy import Catalogue, CatalogueError, build_catalogue, importing, load_catalogue
from scoring.subsidy.catalogue import reference_documents, shipped_documents


@dataclass(frozen=True)
class Preview:
    """A stored draft and what publishing it would change."""

    draft: PolicyVersion
    changes: list[importing.Change]
    replaces: str  # "shipped", "v3" or "" (a new policy)


def bureau_region(*, session: Session, actor: User) -> str | None:
    """The region a user may load policies for: None for an admin, the bureau's region for a bureau user."""
    if actor.role == Role.admin:
        return None
    if actor.role != Role.bureau or actor.bureau_id is None:
        raise ValidationError("role", "admin_or_bureau_only")
    bureau = session.get(Bureau, actor.bureau_id)
    if bureau is None:
        raise ValidationError("role", "no_bureau")
    return bureau.region_code


def published(*, session: Session) -> list[PolicyVersion]:
    """The versions in force, oldest publication first."""
    statement = (
        select(PolicyVersion).where(PolicyVersion.status == "published").order_by(col(PolicyVersion.id))
    )
    return list(session.exec(statement))


def versions(*, session: Session, policy_id: str | None = None) -> list[PolicyVersion]:
    """Every stored version (drafts, published, superseded), newest first."""
    statement = select(PolicyVersion).order_by(col(PolicyVersion.id).desc())
    if policy_id:
        statement = statement.where(PolicyVersion.policy_id == policy_id)
    return list(session.exec(statement))


def _documents(rows: list[PolicyVersion]) -> list[Mapping[str, Any]]:
    return [{**row.document, "version": f"v{row.version}"} for row in rows]


def _in_force_documents(session: Session) -> list[Mapping[str, Any]]:
    return importing.merge(shipped_documents(), _documents(published(session=session)))


def catalogue(*, session: Session) -> Catalogue:
    """The catalogue in force: shipped policies merged with the published versions."""
    rows = published(session=session)
    if not rows:
        return load_catalogue()
    return build_catalogue(importing.merge(shipped_documents(), _documents(rows)), *reference_documents())


def catalogue_of(*, session: Session, policy_versions: Mapping[str, str]) -> Catalogue:
    """The catalogue a result used, from its recorded {policy id: "shipped" | "vN"} (to re-run an old plan)."""
    docs: list[Mapping[str, Any]] = []
    shipped = {str(d["policy"]): d for d in shipped_documents()}
    for policy_id, label in policy_versions.items():
        if label == "shipped":
            if policy_id not in shipped:
                raise ValidationError("policy_versions", "policy_not_shipped", policy=policy_id)
            docs.append(shipped[policy_id])
            continue
        row = session.exec(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == policy_id, PolicyVersion.version == int(label.lstrip("v"))
            )
        ).first()
        if row is None:
            raise ValidationError("policy_versions", "policy_not_stored", policy=policy_id, label=label)
        docs.extend(_documents([row]))
    return build_catalogue(docs, *reference_documents())


@dataclass(frozen=True)
class PolicyRow:
    """One policy as the policies page lists it."""

    id: str
    title: str
    number: str
    issuer: str
    region_name: str
    valid_from: dt.date
    valid_to: dt.date | None
    status: str  # in_force | expired | not_yet
    version: str
    applies_by: str


def issuers(cat: Catalogue | None = None) -> dict[str, str]:
    """{policy id: 发文机关} of the catalogue's policies (shipped and published), as the report cites them."""
    return {p.id: p.issuer for p in (cat or load_catalogue()).policies}


def policy_status(valid_from: dt.date, valid_to: dt.date | None, today: dt.date) -> str:
    """现行 / 已失效 / 未生效 on a day: 'in_force', 'expired' or 'not_yet'."""
    if today < valid_from:
        return "not_yet"
    if valid_to is not None and today > valid_to:
        return "expired"
    return "in_force"


def policy_rows(cat: Catalogue, today: dt.date) -> list[PolicyRow]:
    """Every policy of the catalogue with its title, 文号, issuer, region, validity and status today."""
    names = issuers(cat)
    rows = []
    for p in cat.policies:
        region = cat.regions.get(p.region)
        rows.append(
            PolicyRow(
                id=p.id,
                title=p.title,
                number=p.number,
                issuer=names.get(p.id, ""),
                region_name=region.name_zh if region else p.region,
                valid_from=p.valid_from,
                valid_to=p.valid_to,
                status=policy_status(p.valid_from, p.valid_to, today),
                version=p.version,
                applies_by=p.applies_by,
            )
        )
    order = {"in_force": 0, "not_yet": 1, "expired": 2}
    return sorted(rows, key=lambda r: (order[r.status], r.region_name, r.id))


def policy_versions_of(cat: Catalogue) -> dict[str, str]:
    """{policy id: version label} of a catalogue, recorded with every result."""
    return {p.id: p.version for p in cat.policies}


def import_draft(
    *, session: Session, actor: User, document: Any, source_text: str, sample: bool | None = None
) -> Preview:
    """Validate a policy document against the catalogue schema and its source text, store it as a draft.

    Refused (ValidationError naming the clause) when a quote is not verbatim in the source text, the
    schema does not fit, the window is inverted, or a clause lies outside the bureau's jurisdiction.
    """
    region = bureau_region(session=session, actor=actor)
    in_force = _in_force_documents(session)
    try:
        merged = importing.validate(document, source_text, in_force, *reference_documents())
        importing.check_jurisdiction(document, merged, region)
        start, end = importing.window(document)
    except CatalogueError as exc:
        raise ValidationError.of("policy", exc) from None
    policy_id = str(document["policy"])
    old = next((d for d in in_force if str(d["policy"]) == policy_id), None)
    last = session.exec(
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy_id)
        .order_by(col(PolicyVersion.version).desc())
    ).first()
    clean = {k: v for k, v in document.items() if k != "version"}
    draft = PolicyVersion(
        policy_id=policy_id,
        version=(last.version + 1) if last else 1,
        status="draft",
        region_code=str(document["jurisdiction"]["region"]),
        valid_from=start,
        valid_to=end,
        sample=bool(document.get("sample", False) if sample is None else sample),
        document=clean,
        source_text=source_text,
        source_sha256=hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
        imported_by=actor.id,
        bureau_id=actor.bureau_id,
    )
    session.add(draft)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="policy.import",
        entity="policy",
        entity_id=policy_id,
        detail={"version": draft.version, "id": draft.id, "sha256": draft.source_sha256},
    )
    replaces = "" if old is None else str(old.get("version", "shipped"))
    return Preview(draft, importing.diff(old, clean), replaces)


def preview(*, session: Session, draft: PolicyVersion) -> Preview:
    """The diff of a stored draft against what is in force now."""
    old = next((d for d in _in_force_documents(session) if str(d["policy"]) == draft.policy_id), None)
    return Preview(
        draft, importing.diff(old, draft.document), "" if old is None else str(old.get("version", "shipped"))
    )


def get_version(*, session: Session, version_id: int, actor: User) -> PolicyVersion:
    """A stored version the actor may see (a bureau: its regions only)."""
    row = session.get(PolicyVersion, version_id)
    region = bureau_region(session=session, actor=actor)
    if row is None or (region is not None and not load_catalogue().is_under(row.region_code, region)):
        raise ValidationError("id", "no_policy_version")
    return row


def publish(*, session: Session, actor: User, version_id: int) -> PolicyVersion:
    """Put a draft in force; the version it replaces becomes superseded (kept)."""
    row = get_version(session=session, version_id=version_id, actor=actor)
    if row.status != "draft":
        raise ValidationError(
            "status", "policy_not_draft", version=row.version, policy=row.policy_id, status=row.status
        )
    try:  # the catalogue may have moved since the import: validate again against what is in force now
        importing.validate(
            row.document, row.source_text, _in_force_documents(session), *reference_documents()
        )
    except CatalogueError as exc:
        raise ValidationError.of("policy", exc) from None
    now = utcnow()
    for old in published(session=session):
        if old.policy_id == row.policy_id:
            old.status, old.superseded_at = "superseded", now
            session.add(old)
    row.status, row.published_by, row.published_at = "published", actor.id, now
    session.add(row)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="policy.publish",
        entity="policy",
        entity_id=row.policy_id,
        detail={"version": row.version, "id": row.id},
    )
    return row
