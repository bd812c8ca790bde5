"""The model file: one JSON header line, then the pickled classifier.

The header records the model version, the triage, scikit-learn and feature
versions, the hash of the training data, the held-out scores, the model's
fingerprint (its learned numbers) and the SHA-256 of the payload. Loading checks all of that before unpickling, so a corrupt,
truncated or incompatible file gives a ``ModelError`` with a retrain hint.
The file is written by ``triage learn`` into the user's own data dir; the
payload hash guards against damage, not against someone who can write there.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage import __version__
from triage.errors import UsageError
from triage.learn.features import FEATURE_VERSION

if TYPE_CHECKING:  # scikit-learn loads only when a model is read or written
    from triage.learn.model import FailureClassifier

FILE_FORMAT = "triage-model/1"
MODEL_FILE = Path("models") / "classifier.model"
RETRAIN_HINT = "run `triage learn` to retrain it (or delete the file to classify with rules only)"


class ModelError(UsageError):
    """A model file that cannot be used: corrupt, truncated or made by incompatible versions."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"model file unusable: {problem}; {RETRAIN_HINT}", file=str(path))


@dataclass
class ModelInfo:
    """What the header says about a stored model."""

    model_version: int
    triage_version: str
    sklearn_version: str
    feature_version: int
    training_data_hash: str
    model_hash: str = ""
    payload_sha256: str = ""
    examples: int = 0
    confirmed_labels: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    format: str = FILE_FORMAT


@dataclass
class StoredModel:
    classifier: "FailureClassifier"
    info: ModelInfo
    path: Path | None = None


def model_path(data_dir: Path) -> Path:
    return Path(data_dir) / MODEL_FILE


def payload_hash(classifier: "FailureClassifier") -> str:
    """The model's hash: ``FailureClassifier.fingerprint`` (the pickle itself carries
    process-specific bytes, so its own SHA-256 only checks the file)."""
    return classifier.fingerprint()


def save_model(path: Path, classifier: "FailureClassifier", info: ModelInfo) -> Path:
    """Write the model atomically (a temp file renamed over ``path``); returns ``path``."""
    payload = pickle.dumps(classifier, protocol=5)
    info.model_hash = classifier.fingerprint()
    info.payload_sha256 = hashlib.sha256(payload).hexdigest()
    header = json.dumps(asdict(info), sort_keys=True).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".tmp{os.getpid()}")
    temporary.write_bytes(header + b"\n" + payload)
    os.replace(temporary, path)
    return path


def read_info(path: Path) -> tuple[ModelInfo, bytes]:
    """The header and payload of a model file. Raises ModelError for anything wrong."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(path, f"cannot read it ({exc.strerror})") from None
    head, newline, payload = data.partition(b"\n")
    try:
        fields: dict[str, Any] = json.loads(head.decode("utf-8"))
        info = ModelInfo(**fields)
    except (UnicodeDecodeError, ValueError, TypeError):
        raise ModelError(path, "not a triage model file (its first line is not a triage model header)") from None
    if info.format != FILE_FORMAT:
        raise ModelError(path, f"file format {info.format!r}, this triage reads {FILE_FORMAT!r}")
    if not newline or hashlib.sha256(payload).hexdigest() != info.payload_sha256:
        raise ModelError(path, "the model data is damaged or truncated (its SHA-256 does not match the header)")
    return info, payload


def load_model(path: Path) -> StoredModel:
    """The classifier in ``path``, checked for damage and version compatibility.

    Raises ModelError (exit 2) with a ``triage learn`` hint.
    """
    import sklearn

    from triage.learn.model import FailureClassifier

    info, payload = read_info(path)
    if info.feature_version != FEATURE_VERSION:
        raise ModelError(Path(path), f"trained on feature version {info.feature_version}, "
                         f"this triage computes version {FEATURE_VERSION}")
    if _minor(info.sklearn_version) != _minor(sklearn.__version__):
        raise ModelError(Path(path), f"made with scikit-learn {info.sklearn_version}, "
                         f"this environment has {sklearn.__version__}")
    try:
        classifier = pickle.loads(payload)
    except Exception as exc:  # unpickling can raise almost anything on a bad payload
        raise ModelError(Path(path), f"cannot load the classifier ({type(exc).__name__}: {exc})") from None
    if not isinstance(classifier, FailureClassifier):
        raise ModelError(Path(path), f"holds a {type(classifier).__name__}, not a triage FailureClassifier")
    return StoredModel(classifier, info, Path(path))


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def new_info(model_version: int, training_data_hash: str, examples: int, confirmed: int,
             scores: dict[str, float], seed: int) -> ModelInfo:
    import sklearn

    return ModelInfo(model_version=model_version, triage_version=__version__,
                     sklearn_version=sklearn.__version__, feature_version=FEATURE_VERSION,
                     training_data_hash=training_data_hash, examples=examples,
                     confirmed_labels=confirmed, scores=scores, seed=seed)
