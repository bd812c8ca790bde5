"""End-to-end speed of `triage run` on a generated failure window.

    python benchmarks/end_to_end.py --events 1000000

Generates (seeded) a build with N log events over four sources plus a
Playwright report, then, each in a fresh subprocess so peak memory is its own:

- triage: load + correlate + classify + JSON report (what `triage run` does),
- peer: merely parsing the same files, orjson for JSON lines and one compiled
  regex per text line, keeping nothing: the floor any Python tool pays.

Prints events/s, peak RSS and the ratio of the two, side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _peak_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    import resource
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_triage(data_dir: str, build: str) -> dict:
    import triage
    from triage.classify.rules import load_rules
    from triage.correlate import correlate
    from triage.report import render_json

    phases = {}
    start, (own_start, children_start) = time.perf_counter(), _cpu_s()
    loaded = triage.load_build(build, data_dir)
    phases["ingest_s"] = time.perf_counter() - start
    own, children = _cpu_s()
    phases["ingest_cpu_main_s"], phases["ingest_cpu_workers_s"] = own - own_start, children - children_start
    mark = time.perf_counter()
    correlation = correlate(loaded)
    phases["correlate_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    report = triage.analyze(loaded, load_rules(), correlation=correlation)
    phases["classify_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    text = render_json(report)
    phases["report_s"] = time.perf_counter() - mark
    total = time.perf_counter() - start
    return {"events": int(len(loaded.events)), "seconds": total, "peak_mb": _peak_rss_mb(),
            "failures": len(report.failures), "by_category": report.by_category,
            "report_bytes": len(text), **phases}


_TEXT_LINE = re.compile(rb'^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"')


def run_peer(data_dir: str, build: str) -> dict:
    import orjson

    folder = Path(data_dir) / "builds" / build / "logs"
    start = time.perf_counter()
    events = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        with open(path, "rb") as fh:
            for line in fh:
                if line.startswith(b"{"):
                    orjson.loads(line)
                    events += 1
                elif _TEXT_LINE.match(line) or line.strip():
                    events += 1
    total = time.perf_counter() - start
    return {"events": events, "seconds": total, "peak_mb": _peak_rss_mb()}


def child(kind: str, data_dir: str, build: str) -> dict:
    code = (f"import sys, json; sys.path.insert(0, {str(REPO / 'benchmarks')!r}); "
            f"import end_to_end as b; print(json.dumps(b.run_{kind}({data_dir!r}, {build!r})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out"))
    parser.add_argument("--keep", action="store_true", help="reuse an existing window of the same size")
    args = parser.parse_args()

    out = Path(args.out) / f"window-{args.events}"
    marker = out / "builds" / "bench" / "build.json"
    if not (args.keep and marker.exists()):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "triage.synth", "window", str(out), "--events",
                        str(args.events), "--seed", str(args.seed)], check=True, cwd=REPO)
        print(f"generated {args.events:,} events in {time.perf_counter() - start:.1f} s -> {out}")
    size = sum(p.stat().st_size for p in (out / "builds" / "bench").rglob("*") if p.is_file())
    print(f"window: {size / 1e6:.0f} MB on disk, machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")

    peer = child("peer", str(out), "bench")
    ours = child("triage", str(out), "bench")
    rate = ours["events"] / ours["seconds"]
    peer_rate = peer["events"] / peer["seconds"]
    print()
    print(f"{'':28}{'triage run':>16}{'peer: parse only':>20}")
    print(f"{'events':28}{ours['events']:>16,}{peer['events']:>20,}")
    print(f"{'wall time (s)':28}{ours['seconds']:>16.2f}{peer['seconds']:>20.2f}")
    print(f"{'events/s':28}{rate:>16,.0f}{peer_rate:>20,.0f}")
    print(f"{'peak memory (MB)':28}{ours['peak_mb']:>16.0f}{peer['peak_mb']:>20.0f}")
    print(f"{'time ratio triage/peer':28}{ours['seconds'] / peer['seconds']:>16.2f}")
    print(f"phases (s): ingest {ours['ingest_s']:.2f}, correlate {ours['correlate_s']:.2f}, "
          f"classify {ours['classify_s']:.2f}, report {ours['report_s']:.2f}")
    cpu = ours["ingest_cpu_main_s"] + ours["ingest_cpu_workers_s"]
    print(f"ingest CPU (s): {cpu:.2f} ({ours['ingest_cpu_main_s']:.2f} this process + "
          f"{ours['ingest_cpu_workers_s']:.2f} workers) = {cpu / ours['events'] * 1e6:.1f} us per event; "
          f"cores busy while reading: {cpu / ours['ingest_s']:.2f}")
    print(f"failures: {ours['failures']} {ours['by_category']}")
    target = "meets" if rate >= 100_000 and ours["peak_mb"] < 2048 else "MISSES"
    print(f"target (>= 100,000 events/s, < 2 GB peak): {target}")


if __name__ == "__main__":
    main()
