"""A migrated SQLite database with the demo data, one scored on-site order with a file, and API tokens."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from apps import sample_data
from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import AnomalyFlag, DiagnosisOrder, Enterprise, OrderStatus, User
from diagnose.services import assessments, tokens
from diagnose.settings import Settings, load_settings
from scoring.china_time import china_today

# Actors of the matrix: the party of the chosen order, and another tenant of the same role.
ACTORS = {
    "admin": "admin",
    "bureau": "wujin",
    "bureau_other": "taicang",
    "provider": "provider2",
    "provider_other": "provider1",
    "enterprise": "ent4",
    "enterprise_other": "ent1",
}


@dataclass(frozen=True)
class World:
    """Where the demo database is and the ids the tests need."""

    db_path: Path
    var_dir: Path
    order_id: int
    attachment_id: int
    device_id: int
    requirement_id: str
    user_ids: dict[str, int]
    tokens: dict[str, str]
    provider_id: int
    flag_id: int
    enterprise_id: int = 0
    policy_version_id: int = 0

    def settings(self, db_path: Path | None = None) -> Settings:
        """Settings for an app on this database (or on a copy of it)."""
        return load_settings(
            env="test",
            var_dir=self.var_dir,
            secret_key="test-secret",
            mqtt_url="mqtt://127.0.0.1:1",
            database_url=f"sqlite:///{db_path or self.db_path}",
        )


def build(folder: Path) -> World:
    """Create the world in `folder`."""
    db_path, var_dir = folder / "demo.db", folder / "var"
    engine = make_engine(url=f"sqlite:///{db_path}")
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        sample_data.load(session)
        order = session.exec(
            select(DiagnosisOrder).join(Enterprise).where(DiagnosisOrder.status == OrderStatus.on_site)
        ).one()
        provider = session.exec(select(User).where(User.username == ACTORS["provider"])).one()
        assert order.provider_id == provider.provider_id, (
            "demo data changed: provider2 must deliver the on-site order"
        )
        requirement_id = assessments.requirements_for("discrete")[0].id
        assessments.run_scoring(session=session, actor=provider, order=order)
        attachment = assessments.add_attachment(
            session=session,
            actor=provider,
            order=order,
            requirement_id=requirement_id,
            filename="点检记录.pdf",
            content_type="application/pdf",
            data=b"%PDF-1.4 demo",
            upload_dir=var_dir / "uploads",
        )
        from diagnose.services import devices

        device = devices.list_devices(session=session, enterprise_id=order.enterprise_id)[0]
        users = {
            role: session.exec(select(User).where(User.username == name)).one()
            for role, name in ACTORS.items()
        }
        issued = {role: tokens.issue_token(session=session, user=user) for role, user in users.items()}
        flag = AnomalyFlag(
            order_id=order.id,
            bureau_id=order.bureau_id,
            provider_id=order.provider_id,  # type: ignore[arg-type]
            enterprise_id=order.enterprise_id,
            kind="short_delivery",
            strength=0.9,
            evidence={"days": 1},
            source="test world",
            rules_version="test",
        )
        session.add(flag)
        session.flush()
        policy_draft = _policy_draft(session, users["bureau"])
        session.commit()
        world = World(
            db_path=db_path,
            var_dir=var_dir,
            order_id=order.id,  # type: ignore[arg-type]
            attachment_id=attachment.id,  # type: ignore[arg-type]
            device_id=device.id,  # type: ignore[arg-type]
            requirement_id=requirement_id,
            user_ids={role: user.id for role, user in users.items()},  # type: ignore[misc]
            tokens=issued,
            provider_id=order.provider_id,  # type: ignore[arg-type]
            flag_id=flag.id,  # type: ignore[arg-type]
            enterprise_id=order.enterprise_id,
            policy_version_id=policy_draft,
        )
    engine.dispose()
    return world


class WorldCopies:
    """`build` once per session (per xdist worker), copied into a folder of each module that asks: the
    copy's database and files are byte for byte the built ones, so modules share nothing. Built again
    when the UTC or China date has changed since (the demo data's dates follow the clock)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._built: dict[tuple[date, date], World] = {}

    def copy(self, folder: Path) -> World:
        """A copy of today's world in `folder` (an empty folder)."""
        now = datetime.now(UTC)
        key = (now.date(), china_today(now))
        if key not in self._built:
            built_in = self.folder / f"built-{len(self._built)}"
            built_in.mkdir()
            self._built[key] = build(built_in)
        built = self._built[key]
        assert not built.db_path.with_name(built.db_path.name + "-wal").exists()
        shutil.copytree(built.db_path.parent, folder, dirs_exist_ok=True)
        return dataclasses.replace(
            built, db_path=folder / built.db_path.name, var_dir=folder / built.var_dir.name
        )


def _policy_draft(session: Session, bureau_user: User) -> int:
    """The sample 2026 Wujin policy (tests/policies), imported as a draft by the Wujin bureau."""
    import json

    from diagnose.services import policy_store

    folder = Path(__file__).resolve().parents[1] / "policies"
    found = policy_store.import_draft(
        session=session,
        actor=bureau_user,
        document=json.loads((folder / "sample_wj_2026.json").read_text(encoding="utf-8")),
        source_text=(folder / "sample_wj_2026_source.txt").read_text(encoding="utf-8"),
    )
    return found.draft.id  # type: ignore[return-value]
