"""``triage learn``: retrain, score against the current model, keep the better one."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from triage.learn.labels import read_labels
from triage.learn.store import ModelError, ModelInfo, StoredModel, load_model, model_path, new_info, save_model
from triage.learn.train import (
    HELD_OUT_SEED_OFFSET, better, confirmed_examples, data_hash, fit, generated_examples, score,
)

DEFAULT_BUILDS = 40
DEFAULT_SEED = 7


@dataclass
class LearnResult:
    """What one ``triage learn`` did: both scores and whether the new model was kept."""

    kept: bool
    path: Path
    candidate: dict[str, float]
    current: dict[str, float] | None
    info: ModelInfo
    generated: int
    confirmed_train: int
    confirmed_held_out: int
    current_problem: str = ""
    warnings: list[str] = field(default_factory=list)


def learn(data_dir: Path, builds: int = DEFAULT_BUILDS, seed: int = DEFAULT_SEED,
          mix: dict[str, float] | None = None, held_out_builds: int | None = None) -> LearnResult:
    """Train on ``builds`` generated builds plus the confirmed labels in ``data_dir``,
    score against the current model on the same held-out set, and write the new
    model only if it scores better (or there is no usable current model).

    Raises ValueError for a mix without a known category or too little data.
    """
    labels, warnings = read_labels(data_dir)
    generated = generated_examples(builds, seed, mix)
    held_generated = generated_examples(held_out_builds or max(8, builds // 4), seed + HELD_OUT_SEED_OFFSET, mix)
    confirmed_train, confirmed_held = confirmed_examples(labels)
    training = generated + confirmed_train
    held_out = held_generated + confirmed_held
    candidate = fit(training, seed)
    candidate_score = score(candidate, held_out)
    path = model_path(data_dir)
    current, problem = _current(path)
    current_score = score(current.classifier, held_out) if current is not None else None
    kept = current_score is None or better(candidate_score, current_score)
    version = (current.info.model_version + 1) if current is not None else 1
    info = new_info(version, data_hash(training), len(training), len(confirmed_train),
                    {"held_out_" + k: v for k, v in candidate_score.items()}, seed)
    if kept:
        save_model(path, candidate, info)
    return LearnResult(kept, path, candidate_score, current_score, info if kept else current.info,
                       len(generated), len(confirmed_train), len(confirmed_held), problem, warnings)


def _current(path: Path) -> tuple[StoredModel | None, str]:
    if not path.exists():
        return None, ""
    try:
        return load_model(path), ""
    except ModelError as exc:
        return None, str(exc)
