"""Measuring a template miner against labelled logs (Loghub-2k).

Grouping accuracy (GA) as defined by Zhu et al., "Tools and Benchmarks for
Automated Log Parsing" (ICSE-SEIP 2019): a message is parsed correctly iff the
set of messages its predicted group holds equals the set of its true group;
GA is the share of messages parsed correctly.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from triage.errors import UsageError


@dataclass(frozen=True)
class LabelledLog:
    """One Loghub system: its messages (the Content column) and their true templates."""

    system: str
    messages: list[str]
    truth: list[str]


def grouping_accuracy(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> float:
    """GA of ``predicted`` group labels against ``truth`` (same length, same order).

    Raises ValueError when the lengths differ.
    """
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} messages")
    if not truth:
        return 1.0
    frame = pd.DataFrame({"predicted": list(predicted), "truth": list(truth)})
    truth_sizes = frame.groupby("truth", sort=False).size()
    per_group = frame.groupby("predicted", sort=False)["truth"].agg(["nunique", "first", "size"])
    exact = per_group[(per_group["nunique"] == 1)
                      & (per_group["size"] == truth_sizes.reindex(per_group["first"]).to_numpy())]
    return float(exact["size"].sum()) / len(frame)


def loghub_systems(root: Path) -> list[str]:
    """The system folders under a Loghub-2k ``root`` that hold corrected labels."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder; point at the loghub-2k data "
                         f"(e.g. ../shared/data/loghub-2k)")
    return sorted(p.name for p in root.iterdir()
                  if (p / f"{p.name}_2k.log_structured_corrected.csv").is_file())


def read_loghub(root: Path, system: str, labels: str = "corrected") -> LabelledLog:
    """Read ``<root>/<system>/<system>_2k.log_structured[_corrected].csv`` in place.

    Messages come from the Content column; the truth is the EventTemplate text
    (the corrected files' EventIds are stale for Linux). Raises UsageError
    for a missing file or column.
    """
    suffix = "_corrected" if labels == "corrected" else ""
    path = root / system / f"{system}_2k.log_structured{suffix}.csv"
    if not path.is_file():
        raise UsageError(f"{path} not found; expected Loghub-2k's structured CSV for {system}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"Content", "EventTemplate"} - set(frame.columns)
    if missing:
        raise UsageError(f"{path}: no {', '.join(sorted(missing))} column")
    return LabelledLog(system, frame["Content"].tolist(), frame["EventTemplate"].tolist())
