"""Reading one file per format: the rows path against the event-dict path, side by side.

    python benchmarks/rows_vs_dicts.py                # the end-to-end window's four files
    python benchmarks/rows_vs_dicts.py app.log --lines 60000 --runs 5

Each file's first ``--lines`` lines are read with ``read_source(..., as_frame=True)``
plus ``as_categories`` (what this process does with a piece), single process,
cyclic GC off as the loader runs. The peer is the same reader with its format's
``parse_rows`` switched off: ``parse`` and one event dict per line, the way every
format read before the rows path (``triage.ingest.rows``) and the way formats
without one still read. Runs alternate so that load from other processes falls on
both alike. Prints CPU microseconds per event (median) and the ratio.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's triage

from triage.ingest import loader, registry  # noqa: E402
from triage.ingest.base import Head, Ingestor, SourceFile  # noqa: E402

WINDOW = REPO / "benchmarks" / "out" / "window-1000000" / "builds" / "bench" / "logs"


def us_per_event(path: Path, display: str) -> tuple[float, str]:
    """CPU microseconds per event of one read of ``path``, and the format read."""
    gc.collect()
    with loader.cyclic_gc_paused():
        start = time.process_time()
        result = loader.read_source(path, display, as_frame=True)
        loader.as_categories(result.frame)
        spent = time.process_time() - start
    if not result.info.events:
        raise SystemExit(f"{path}: no events read ({result.info.status}: {result.info.reason})")
    return spent / result.info.events * 1e6, result.info.format


def compare(path: Path, display: str, runs: int) -> tuple[str, float, float]:
    ingestor = registry.detect(Head.of(SourceFile(path, display))).ingestor
    if ingestor is None or type(ingestor).parse_rows is Ingestor.parse_rows:
        raise SystemExit(f"{path}: its format has no rows path")
    cls, rows_path = type(ingestor), type(ingestor).parse_rows
    us_per_event(path, display)  # warm: imports, detection, caches
    rows, dicts = [], []
    try:
        for _ in range(runs):
            cls.parse_rows = rows_path
            rows.append(us_per_event(path, display)[0])
            cls.parse_rows = Ingestor.parse_rows
            dicts.append(us_per_event(path, display)[0])
    finally:
        cls.parse_rows = rows_path
    return ingestor.name, statistics.median(rows), statistics.median(dicts)


def head_of(path: Path, lines: int, folder: Path) -> Path:
    """The first ``lines`` lines of ``path`` (decompressed) as a file in ``folder``."""
    piece = folder / path.name.removesuffix(".gz")
    with SourceFile(path, path.name).open_binary() as source, open(piece, "wb") as out:
        for _, line in zip(range(lines), source):
            out.write(line)
    return piece


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files to read (default: the window's four)")
    parser.add_argument("--lines", type=int, default=60_000, help="lines read from each file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    paths = args.paths
    if not paths:
        if not WINDOW.exists():  # the same seeded window end_to_end.py makes
            subprocess.run([sys.executable, "-m", "triage.synth", "window", str(WINDOW.parents[2]),
                            "--events", "1000000", "--seed", "7"], check=True, cwd=REPO)
        paths = sorted(WINDOW.rglob("*.log"))
    print(f"{'format':16}{'rows path':>12}{'peer: dicts':>14}{'ratio':>8}   (CPU us per event, median of {args.runs})")
    with tempfile.TemporaryDirectory() as folder:
        for path in paths:
            display = f"{path.parent.name}/{path.name}"
            name, rows, dicts = compare(head_of(path, args.lines, Path(folder)), display, args.runs)
            print(f"{name:16}{rows:12.2f}{dicts:14.2f}{dicts / rows:8.2f}")


if __name__ == "__main__":
    main()
