"""Peer standing: among the region's enterprises of the same GB/T 4754 division, only from five peers on."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, Enterprise, OrderStatus, Result, User
from diagnose.services.diagnosis import peer_standing
from diagnose.settings import load_settings
from reports import assemble
from tests.web.conftest import log_in_as
from web import create_app


def _add_peers(session: Session, own: DiagnosisOrder, result: Result, scores: list[float]) -> None:
    enterprise = session.get(Enterprise, own.enterprise_id)
    assert enterprise is not None
    for index, value in enumerate(scores):
        peer = Enterprise(
            uscc=f"91{enterprise.region_code}PEER{index:04d}",
            name=f"同行企业{index}",
            region_code=enterprise.region_code,
            industry_code=enterprise.industry_code[:2] + "99",
        )
        session.add(peer)
        session.flush()
        order = DiagnosisOrder(
            number=f"PEER-{index}",
            bureau_id=own.bureau_id,
            enterprise_id=peer.id,  # type: ignore[arg-type]
            kind="factory",
            fee_fen=1,
            status=OrderStatus.accepted,
        )
        session.add(order)
        session.flush()
        detail = copy.deepcopy(result.detail)
        detail["score"]["score"] = value
        session.add(
            Result(
                order_id=order.id,  # type: ignore[arg-type]
                level=result.level,
                score=f"{value:.4f}",
                level_scores=result.level_scores,
                detail=detail,
                model_version=result.model_version,
                weights_version=result.weights_version,
                rule_version=result.rule_version,
                input_hash=result.input_hash,
            )
        )
    session.flush()


def test_standing_needs_five_peers_then_ranks(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(demo_db, db)
    engine = make_engine(url=f"sqlite:///{db}")
    with Session(engine) as session:
        own = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.accepted)
        ).first()
        assert own is not None
        result = session.exec(select(Result).where(Result.order_id == own.id)).first()
        assert result is not None
        before = peer_standing.standing(session=session, order=own, result=result)
        assert before.percentile is None and before.peers < 5 and before.minimum == 5
        mine = float(result.detail["score"]["score"])
        _add_peers(session, own, result, [mine - 0.4, mine - 0.3, mine - 0.2, mine + 0.5, mine + 0.6])
        after = peer_standing.standing(session=session, order=own, result=result)
        assert after.peers == before.peers + 5
        assert after.percentile is not None and 0 < after.percentile < 100
        assert after.peer_median is not None
        shown = assemble(session=session, order=own, public_url="").peers
        assert shown is not None and shown.percentile == after.percentile and shown.peers == after.peers
        session.commit()
        order_id = own.id
        viewer = session.exec(select(User).where(User.enterprise_id == own.enterprise_id)).first()
        assert viewer is not None
        viewer_id = viewer.id
    engine.dispose()
    settings = load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="s", database_url=f"sqlite:///{db}"
    )
    app = create_app(settings, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    log_in_as(app, client, viewer_id)
    html = client.get(f"/orders/{order_id}/result").get_data(as_text=True)
    assert "同行对标" in html and "高于约" in html
