"""The score-mismatch model: predict the CMMM score from measured indicators, flag reports far from it."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from scoring.supervision.config import AuditRules
from scoring.supervision.records import DiagnosisRecord, Flag
from scoring.supervision.rules import SCORE_MISMATCH

if TYPE_CHECKING:
    from sklearn.ensemble import GradientBoostingRegressor

MODEL_VERSION = "audit-score-gbr-1"
FEATURES = (
    "networking_rate",
    "coverage",
    "run_share",
    "log_production_devices",
    "log_messages_per_device",
    "scale_rank",
    "is_process",
    "is_workshop",
)
MIN_TRAINING_RECORDS = 30
_SCALES = {"micro": 0.0, "small": 1.0, "medium": 2.0, "large": 3.0}
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AnomalyModel:
    """A fitted regressor with what reproduces and explains it: versions, features, data hash, validation."""

    estimator: Any
    model_version: str
    sklearn_version: str
    features: tuple[str, ...]
    training_hash: str
    training_records: int
    residual_sigma: float
    validation_mae: float
    validation_r2: float
    random_state: int


@dataclass(frozen=True)
class Prediction:
    """The score the indicators predict for one diagnosis, and how far the reported one lies from it."""

    order_id: int
    reported: float
    predicted: float
    residual: float
    sigmas: float


def features(record: DiagnosisRecord) -> tuple[float, ...]:
    """The model's inputs for one record, in FEATURES order."""
    ev = record.evidence
    per_device = ev.telemetry_messages / ev.production_devices if ev.production_devices else 0.0
    return (
        # A figure the snapshot could not state is encoded as 0 (the model's "nothing measured").
        ev.networking_rate or 0.0,
        ev.coverage or 0.0,
        ev.run_share or 0.0,
        math.log1p(ev.production_devices),
        math.log1p(per_device),
        _SCALES.get(record.scale, 2.0),
        1.0 if record.industry_type == "process" else 0.0,
        1.0 if record.kind == "workshop" else 0.0,
    )


def feature_matrix(records: Sequence[DiagnosisRecord]) -> FloatArray:
    """Rows of features() as a float array."""
    return np.asarray([features(r) for r in records], dtype=np.float64).reshape(len(records), len(FEATURES))


def training_hash(records: Sequence[DiagnosisRecord]) -> str:
    """SHA-256 over the rounded features and scores, so an artefact names the data it was fitted on."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.order_id):
        row = ",".join(f"{x:.6f}" for x in (*features(record), record.score))
        digest.update(f"{record.order_id}:{row}\n".encode())
    return digest.hexdigest()


def _estimator(random_state: int) -> GradientBoostingRegressor:
    # scikit-learn is imported where a model is fitted, not by every process that imports this package.
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(
        n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=random_state
    )


def train(records: Sequence[DiagnosisRecord], random_state: int = 0) -> AnomalyModel:
    """Fit on accepted diagnoses; the residual spread comes from 5-fold out-of-fold predictions."""
    if len(records) < MIN_TRAINING_RECORDS:
        raise ValueError(
            f"need at least {MIN_TRAINING_RECORDS} accepted diagnoses to train, got {len(records)}"
        )
    import sklearn
    from sklearn.model_selection import KFold, cross_val_predict

    x = feature_matrix(records)
    y = np.asarray([r.score for r in records], dtype=np.float64)
    folds = KFold(n_splits=5, shuffle=True, random_state=random_state)
    out_of_fold = cross_val_predict(_estimator(random_state), x, y, cv=folds)
    residuals = y - out_of_fold
    # Median absolute deviation: a few bad diagnoses among the accepted ones must not widen the band.
    sigma = float(1.4826 * np.median(np.abs(residuals - np.median(residuals))))
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(residuals**2)) / total if total else 0.0
    return AnomalyModel(
        estimator=_estimator(random_state).fit(x, y),
        model_version=MODEL_VERSION,
        sklearn_version=sklearn.__version__,
        features=FEATURES,
        training_hash=training_hash(records),
        training_records=len(records),
        residual_sigma=max(sigma, 1e-6),
        validation_mae=float(np.mean(np.abs(residuals))),
        validation_r2=r2,
        random_state=random_state,
    )


def predict(model: AnomalyModel, records: Sequence[DiagnosisRecord]) -> tuple[Prediction, ...]:
    """The predicted score and residual (in validation sigmas) of each record."""
    if model.features != FEATURES:
        raise ValueError("model was trained on another feature list; retrain it")
    if not records:
        return ()
    predicted = model.estimator.predict(feature_matrix(records))
    out = []
    for record, guess in zip(records, predicted, strict=True):
        residual = record.score - float(guess)
        out.append(
            Prediction(record.order_id, record.score, float(guess), residual, residual / model.residual_sigma)
        )
    return tuple(out)


def mismatch_flags(model: AnomalyModel, records: Sequence[DiagnosisRecord], rules: AuditRules) -> list[Flag]:
    """Flag reported scores beyond both the sigma and the absolute-points threshold."""
    flags = []
    for record, p in zip(records, predict(model, records), strict=True):
        if abs(p.sigmas) >= rules.mismatch_min_sigmas and abs(p.residual) >= rules.mismatch_min_points:
            evidence: dict[str, object] = {
                "reported_score": round(p.reported, 3),
                "predicted_score": round(p.predicted, 3),
                "residual": round(p.residual, 3),
                "sigmas": round(p.sigmas, 2),
                "model_version": model.model_version,
                "training_hash": model.training_hash[:12],
                "indicators": dict(zip(FEATURES, (round(v, 3) for v in features(record)), strict=True)),
            }
            flags.append(
                Flag(
                    record.order_id,
                    record.provider_id,
                    record.enterprise_id,
                    SCORE_MISMATCH,
                    abs(p.sigmas),
                    evidence,
                    rules.sources["score_mismatch"],
                )
            )
    return flags
