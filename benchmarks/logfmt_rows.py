"""Reading a logfmt file: the rows path against the event-dict path, side by side.

    python benchmarks/logfmt_rows.py /tmp/piece.log --runs 5

Both read the same file with ``read_source(..., as_frame=True)`` plus
``as_categories`` (what a worker does per file), single process, cyclic GC off
as the loader runs; the peer is the same reader with ``parse_rows`` switched off
(``LogfmtIngestor.parse`` and its event dicts). Runs alternate so that load from
other processes falls on both alike. Prints CPU microseconds per event (median
and best) and the ratio of the medians.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's triage

from triage.ingest import loader  # noqa: E402
from triage.ingest.base import Ingestor  # noqa: E402
from triage.ingest.logfmt import LogfmtIngestor  # noqa: E402


def us_per_event(path: Path) -> float:
    """CPU microseconds per event of one read of ``path`` as an app log."""
    gc.collect()
    with loader.cyclic_gc_paused():
        start = time.process_time()
        result = loader.read_source(path, "app/bench.log", as_frame=True)
        loader.as_categories(result.frame)
        spent = time.process_time() - start
    if result.info.format != "logfmt" or not result.info.events:
        raise SystemExit(f"{path}: read as {result.info.format} with {result.info.events} events; "
                         "give a logfmt file")
    return spent / result.info.events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="a logfmt file, e.g. the first 60,000 lines of "
                        "benchmarks/out/window-1000000/builds/bench/logs/app/logfmt-services.log")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows_path = LogfmtIngestor.parse_rows
    us_per_event(args.path)  # warm: imports, detection, caches
    figures: dict[str, list[float]] = {"rows": [], "dicts (peer)": []}
    for _ in range(args.runs):
        LogfmtIngestor.parse_rows = rows_path
        figures["rows"].append(us_per_event(args.path))
        LogfmtIngestor.parse_rows = Ingestor.parse_rows
        figures["dicts (peer)"].append(us_per_event(args.path))
    LogfmtIngestor.parse_rows = rows_path
    for name, values in figures.items():
        print(f"{name:13s} median {statistics.median(values):6.2f} us/event   best {min(values):6.2f}")
    ratio = statistics.median(figures["dicts (peer)"]) / statistics.median(figures["rows"])
    print(f"rows path is {ratio:.2f}x the dict path")


if __name__ == "__main__":
    main()
