"""Seed inputs for the fuzzers, made at run time from the repository's own samples.

Nothing here is committed as data: the seeds are the heads of the files in
``sample_data/`` and, where present, of the real third-party samples in
``../shared/fixtures/real/``, grouped by the format triage detects in them.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from triage.ingest import registry
from triage.ingest.base import Head, SourceFile

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "sample_data"
SEED_BYTES = 16 * 1024
SEED_LINES = 40
# Formats no sample file shows (generic JSON lines lose to the specific JSON
# formats wherever those match), so their seeds are written here.
EXTRA_SEEDS: dict[str, list[tuple[str, bytes]]] = {
    "json-lines": [("app.log", b'{"ts":"2026-11-20T10:00:00.123Z","level":"error","msg":"upstream failed",'
                               b'"request_id":"abc123","status":502}\n'
                               b'{"ts":"2026-11-20T10:00:01Z","level":"info","msg":"ok",'
                               b'"request_id":"abc124","duration_ms":12}\n')],
}


def _shared_real() -> Path:
    shared = Path(os.environ.get("TRIAGE_SHARED_DIR", REPO.parent / "shared"))
    return shared / "fixtures" / "real"


def sample_files() -> list[Path]:
    """Every sample file: sample_data's builds, then the real samples if present."""
    files = sorted(p for p in (SAMPLE_DATA / "builds").rglob("*") if p.is_file())
    real = _shared_real()
    if real.is_dir():
        files += sorted(p for p in real.rglob("*") if p.is_file() and p.suffix != ".md")
    return files


def _head_bytes(source: SourceFile) -> bytes:
    """The start of a file (decompressed), cut after its last whole line."""
    data = source.read_bytes(SEED_BYTES)
    if len(data) == SEED_BYTES and b"\n" in data:
        data = data[: data.rfind(b"\n") + 1]
    return data


@lru_cache(maxsize=1)
def seeds_by_format() -> dict[str, list[tuple[str, bytes]]]:
    """``{format: [(file name, head bytes), ...]}`` for every format a sample shows."""
    found: dict[str, list[tuple[str, bytes]]] = {fmt: list(seeds) for fmt, seeds in EXTRA_SEEDS.items()}
    for path in sample_files():
        source = SourceFile(path, path.name)
        detection = registry.detect(Head.of(source))
        if detection.ingestor is not None:
            found.setdefault(detection.ingestor.name, []).append((path.name, _head_bytes(source)))
    return found


@lru_cache(maxsize=1)
def lines_by_format() -> dict[str, list[str]]:
    """Up to ``SEED_LINES`` distinct non-blank lines per format, from its seeds."""
    lines: dict[str, list[str]] = {}
    for fmt, seeds in seeds_by_format().items():
        seen: dict[str, None] = {}
        for _, data in seeds:
            for line in data.decode("utf-8", "replace").splitlines():
                if line.strip() and len(seen) < SEED_LINES:
                    seen.setdefault(line)
        lines[fmt] = list(seen)
    return lines
