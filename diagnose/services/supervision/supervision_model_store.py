"""Save and load the score-mismatch model with skops (no pickle), its metadata and file hash beside it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scoring.supervision import FEATURES, MODEL_VERSION, AnomalyModel

MODEL_FILE = "audit_score_model.skops"
META_FILE = "audit_score_model.json"
# The only types a loaded artefact may contain beyond skops' defaults: what a fitted
# GradientBoostingRegressor holds. Anything else means the file is not ours, so it is refused.
TRUSTED_TYPES = frozenset({"sklearn.tree._tree.Tree"})


class ModelArtefactError(RuntimeError):
    """The stored artefact is missing, altered, or from another feature list or version."""


def model_dir(var_dir: Path) -> Path:
    """Where the project's own model artefacts live (under var_dir, never committed)."""
    return var_dir / "models"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(model: AnomalyModel, var_dir: Path) -> Path:
    """Write the estimator with skops and a JSON sidecar: versions, features, data hash, validation, file hash."""
    import skops.io as sio  # skops (and scikit-learn behind it) only when a model is read or written

    folder = model_dir(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    sio.dump(model.estimator, path)
    meta = {k: v for k, v in asdict(model).items() if k != "estimator"}
    meta["features"] = list(model.features)
    meta["file_sha256"] = _sha256(path)
    (folder / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return path


def read_metadata(var_dir: Path) -> dict[str, Any] | None:
    """The sidecar of the stored model, or None when no model was trained yet."""
    meta_path = model_dir(var_dir) / META_FILE
    if not meta_path.exists():
        return None
    data: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    return data


def load_model(var_dir: Path) -> AnomalyModel | None:
    """The stored model, None when there is none; ModelArtefactError when it fails a check."""
    meta = read_metadata(var_dir)
    path = model_dir(var_dir) / MODEL_FILE
    if meta is None or not path.exists():
        return None
    if meta.get("file_sha256") != _sha256(path):
        raise ModelArtefactError(f"{path} does not match the hash recorded when it was trained")
    if tuple(meta.get("features", ())) != FEATURES or meta.get("model_version") != MODEL_VERSION:
        raise ModelArtefactError(
            "the stored model was trained for another feature list; run `diagnose supervision train-model`"
        )
    import skops.io as sio  # skops (and scikit-learn behind it) only when a model is read

    untrusted = set(sio.get_untrusted_types(file=path))
    if not untrusted <= TRUSTED_TYPES:
        raise ModelArtefactError(f"{path} holds unexpected types {sorted(untrusted - TRUSTED_TYPES)}")
    estimator = sio.load(path, trusted=sorted(untrusted))
    return AnomalyModel(
        estimator=estimator,
        model_version=meta["model_version"],
        sklearn_version=meta["sklearn_version"],
        features=FEATURES,
        training_hash=meta["training_hash"],
        training_records=int(meta["training_records"]),
        residual_sigma=float(meta["residual_sigma"]),
        validation_mae=float(meta["validation_mae"]),
        validation_r2=float(meta["validation_r2"]),
        random_state=int(meta["random_state"]),
    )
