"""Command line: ``python -m triage.synth sample_data`` or ``... window OUT --events N --seed S``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from triage.synth.sample import generate_sample_data
from triage.synth.window import generate_window


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run; returns the exit code (2 for bad usage)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "window":
        parser = argparse.ArgumentParser(
            prog="python -m triage.synth window",
            description="Write a benchmark failure window to OUT/builds/bench/ (not gzipped). "
                        "Example: python -m triage.synth window /tmp/bench --events 1000000 --seed 7")
        parser.add_argument("out", type=Path, help="data dir to write builds/bench/ into")
        parser.add_argument("--events", type=int, default=1_000_000,
                            help="log lines to write (default 1000000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        ns = parser.parse_args(args[1:])
        if ns.events < 1000:
            parser.error("--events must be at least 1000")
        stats = generate_window(ns.out, events=ns.events, seed=ns.seed)
        print(f"wrote {stats.events} events in {stats.seconds:.1f}s to {stats.root}")
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m triage.synth",
        description="Regenerate the seeded sample builds (byte-identical every run). "
                    "Example: python -m triage.synth sample_data")
    parser.add_argument("out", type=Path, help="data dir to (re)write, e.g. sample_data")
    ns = parser.parse_args(args)
    files = generate_sample_data(ns.out)
    total = sum(path.stat().st_size for path in files)
    print(f"wrote {len(files)} files ({total / 1e6:.2f} MB) under {ns.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
