"""The atheris (libFuzzer) target: the detector and every registered ingestor.

    python -m fuzz.target --group events --scratch SCRATCH_DIR -max_total_time=60 CORPUS_DIR

The first byte of an input picks what reads the rest: 0 the detector (with
``read_source``, as a build's file is read), otherwise one ingestor of the
group. The invariants are those of the property tests (``fuzz/harness.py``);
a broken one raises, which libFuzzer reports as a finding with the input saved.
``fuzz/run.py`` runs every group for a fixed budget.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["triage"]):
    from triage.ingest import registry
    from triage.ingest.loader import read_source  # noqa: F401 - instrumented with the rest
    from triage.model import SourceKind
    registry.ingestors()  # the ingestor modules load here, so they are instrumented too

from fuzz.harness import check_outcome, check_rows, detect_and_read_file, ingest_file

GROUPS = {
    "detect": (),
    "events": (SourceKind.EVENTS,),
    "reports": (SourceKind.TESTS,),
    "manifests": (SourceKind.METADATA, SourceKind.MANIFEST),
}


def group_ingestors(group: str) -> list:
    """The group's ingestors, by format name (all of them for ``detect``)."""
    kinds = GROUPS[group]
    return [ing for name, ing in sorted(registry.ingestors().items()) if not kinds or ing.kind in kinds]


def selector(group: str, fmt: str | None) -> int:
    """The first byte that sends an input to ``fmt``'s ingestor (0: the detector)."""
    if group == "detect" or fmt is None:
        return 0
    names = [ing.name for ing in group_ingestors(group)]
    return 1 + names.index(fmt)


def make_one_input(group: str, scratch: Path):
    ingestors = [] if group == "detect" else group_ingestors(group)
    path = scratch / "input.log"

    def one_input(data: bytes) -> None:
        if not data:
            return
        pick, body = data[0] % (len(ingestors) + 1), data[1:]
        path.write_bytes(body)
        if pick == 0:
            detect_and_read_file(path, "input.log")
            return
        ingestor = ingestors[pick - 1]
        outcome = ingest_file(ingestor, path, "input.log")
        check_outcome(ingestor, outcome, body)
        if ingestor.kind is SourceKind.EVENTS:
            check_rows(ingestor, path, "input.log", outcome)
    return one_input


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--group", choices=sorted(GROUPS), required=True)
    # libFuzzer ends the process with exit(): no Python cleanup runs after Fuzz(), so
    # the caller (fuzz.run) owns the scratch folder and removes it.
    parser.add_argument("--scratch", required=True, help="an existing folder for the input file")
    ns, libfuzzer_args = parser.parse_known_args()
    atheris.Setup([sys.argv[0], *libfuzzer_args], make_one_input(ns.group, Path(ns.scratch)))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
