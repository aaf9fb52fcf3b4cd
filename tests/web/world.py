"""A migrated SQLite database with the demo data, one scored on-site order with a file, and API tokens."""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlmodel import Session, select

from apps.demo import sample_data
from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import AnomalyFlag, DiagnosisOrder, Enterprise, OrderStatus, User
from diagnose.services.accounts import tokens
from diagnose.services.diagnosis import assessments, contradictions, sme
from diagnose.settings import Settings, load_settings
from tests import once
from web.db import engine as app_engine

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


def build(folder: Path, demo_db: Path | None = None) -> World:
    """Create the world in `folder`: on a copy of `demo_db` (migrated, with the sample data) if given."""
    db_path, var_dir = folder / "demo.db", folder / "var"
    if demo_db is not None:
        shutil.copyfile(demo_db, db_path)
    engine = make_engine(url=f"sqlite:///{db_path}")
    if demo_db is None:
        migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        if demo_db is None:
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
        for item in contradictions.items(session=session, order=order):  # decided, so it can be submitted
            contradictions.decide(
                session=session, actor=provider, order=order, requirement_id=item.requirement_id,
                decision="kept", reason="现场核实，自评属实。",
            )  # fmt: skip
        # The order rates both instruments (demo data): the SME questionnaire the demo left half done is
        # finished and rated, so the order can be submitted.
        saved = sme.answers_of(session=session, order=order)
        for values in sample_data.SME_ANSWERS["starting"].values():
            for key, value in values.items():
                if key not in saved:
                    sme.save_answer(session=session, actor=provider, order=order, key=key, value=value)  # type: ignore[arg-type]
        sme.score(session=session, actor=provider, order=order)
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
        from diagnose.services.shopfloor import devices

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
    """The world built once per run (for all xdist workers, on the run's demo database) and again when the
    UTC or China date changes (the demo data's dates follow the clock); each module that asks gets a copy
    of its own: database and files byte for byte the built ones, so modules share nothing."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def copy(self, folder: Path) -> World:
        """A copy of today's world in `folder` (an empty folder)."""
        day = once.today()
        demo_db = once.demo_database(self.root, day)

        def make(built_in: Path) -> None:
            built = build(built_in, demo_db)
            fields = dataclasses.asdict(built) | {
                "db_path": built.db_path.name,
                "var_dir": built.var_dir.name,
            }
            (built_in / "world.json").write_text(json.dumps(fields), encoding="utf-8")

        built_in = once.built_once(self.root, f"world-{day}", make)
        fields = json.loads((built_in / "world.json").read_text(encoding="utf-8"))
        shutil.copytree(built_in, folder, dirs_exist_ok=True)
        (folder / "world.json").unlink()
        assert not (folder / f"{fields['db_path']}-wal").exists()
        return World(
            **fields | {"db_path": folder / fields["db_path"], "var_dir": folder / fields["var_dir"]}
        )


def _policy_draft(session: Session, bureau_user: User) -> int:
    """The sample 2026 Wujin policy (tests/policies), imported as a draft by the Wujin bureau."""
    from diagnose.services.diagnosis import policy_store

    folder = Path(__file__).resolve().parents[1] / "policies"
    found = policy_store.import_draft(
        session=session,
        actor=bureau_user,
        document=json.loads((folder / "sample_wj_2026.json").read_text(encoding="utf-8")),
        source_text=(folder / "sample_wj_2026_source.txt").read_text(encoding="utf-8"),
    )
    return found.draft.id  # type: ignore[return-value]


def db_of(app: Flask) -> Session:
    """A session on the app's database, objects kept readable after commit."""
    with app.app_context():
        return Session(app_engine(), expire_on_commit=False)
