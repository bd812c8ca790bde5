"""Grouping accuracy and speed of triage's template miner beside drain3 on Loghub-2k.

    pip install -e '.[bench]'
    python benchmarks/loghub_ga.py [--data ../shared/data/loghub-2k] [--labels corrected]

For every Loghub-2k system (16 x 2,000 labelled lines, read in place; the
Content column is fed, the corrected labels of Khan et al. 2022 are the truth)
runs, in this one process and on the same messages:

- triage: ``triage.mine.mine`` with its one built-in configuration;
- drain3: ``drain3.TemplateMiner`` with ONE generic configuration for every
  system: the masking of drain3's example ``drain3.ini`` (ID, IP, SEQ, HEX, NUM)
  and its Drain settings (sim_th 0.4, depth 4, max_children 100, "_" as an
  extra delimiter), no per-system tuning.

Prints per-system grouping accuracy (GA) for both, the averages, lines/s for
both (best of ``--rounds`` alternating passes over all systems), the ratio, and
the spread of the per-round ratios (the machine may be shared).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from triage.mine import mine  # noqa: E402
from triage.mine.evaluate import LabelledLog, grouping_accuracy, loghub_systems, read_loghub  # noqa: E402

_DRAIN3_MASKS = (
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
)


def _drain3_miner():
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(p, name) for p, name in _DRAIN3_MASKS]
    config.drain_sim_th = 0.4
    config.drain_depth = 4
    config.drain_max_children = 100
    config.drain_max_clusters = None
    config.drain_extra_delimiters = ["_"]
    config.profiling_enabled = False
    return TemplateMiner(config=config)


def groups_drain3(messages: list[str]) -> list[int]:
    """drain3's cluster id per message (clusters never split or merge, so these are final)."""
    miner = _drain3_miner()
    return [miner.add_log_message(m)["cluster_id"] for m in messages]


def groups_triage(messages: list[str]) -> list[str]:
    """triage's final template id per message."""
    return [t.id for t in mine(messages).assignments]


def _timed(function, logs: list[LabelledLog]) -> tuple[float, list[list]]:
    start = time.perf_counter()
    groups = [function(log.messages) for log in logs]
    return time.perf_counter() - start, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = Path(os.environ.get("TRIAGE_SHARED_DIR", REPO.parent / "shared")) / "data" / "loghub-2k"
    parser.add_argument("--data", type=Path, default=default, help=f"Loghub-2k folder (default {default})")
    parser.add_argument("--labels", choices=["corrected", "original"], default="corrected")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes; the best counts")
    args = parser.parse_args()

    logs = [read_loghub(args.data, system, args.labels) for system in loghub_systems(args.data)]
    lines = sum(len(log.messages) for log in logs)
    seconds: dict[str, list[float]] = {"triage": [], "drain3": []}
    results: dict[str, list[list]] = {}
    for _ in range(max(1, args.rounds)):
        for name, function in (("triage", groups_triage), ("drain3", groups_drain3)):
            elapsed, results[name] = _timed(function, logs)
            seconds[name].append(elapsed)

    print(f"Loghub-2k, {args.labels} labels, {len(logs)} systems, {lines:,} lines\n")
    print(f"{'system':<12} {'triage GA':>10} {'drain3 GA':>10}")
    totals = {"triage": 0.0, "drain3": 0.0}
    for index, log in enumerate(logs):
        scores = {name: grouping_accuracy(results[name][index], log.truth) for name in totals}
        for name in totals:
            totals[name] += scores[name]
        print(f"{log.system:<12} {scores['triage']:>10.3f} {scores['drain3']:>10.3f}")
    averages = {name: total / len(logs) for name, total in totals.items()}
    print(f"{'average':<12} {averages['triage']:>10.3f} {averages['drain3']:>10.3f}\n")
    speed = {name: lines / min(times) for name, times in seconds.items()}
    paired = sorted(d / t for t, d in zip(seconds["triage"], seconds["drain3"]))
    print(f"lines/s      triage {speed['triage']:,.0f}   drain3 {speed['drain3']:,.0f}   "
          f"ratio {speed['triage'] / speed['drain3']:.2f}x (best of {args.rounds}; "
          f"per-round ratios {paired[0]:.2f}x to {paired[-1]:.2f}x, "
          f"median {statistics.median(paired):.2f}x)")


if __name__ == "__main__":
    main()
