"""Writing a build folder byte-for-byte reproducibly, and remembering evidence lines.

Log lines are collected per file with their timestamps, sorted once (stable,
by time then insertion) and written; ``.gz`` files are compressed with a zero
mtime and no file name so the bytes never change between runs.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sink:
    """Collects one build's files. ``marks`` maps an evidence label to ``file:line``s."""

    lines: dict[str, list[tuple[int, int, str, str]]] = field(default_factory=dict)
    documents: dict[str, bytes] = field(default_factory=dict)
    gzipped: set[str] = field(default_factory=set)
    marks: dict[str, list[str]] = field(default_factory=dict)
    _seq: int = 0

    def add(self, path: str, ms: int, text: str, mark: str = "") -> None:
        """One log record (may span lines) for ``path`` at ``ms``."""
        self._seq += 1
        self.lines.setdefault(path, []).append((ms, self._seq, text, mark))

    def document(self, path: str, content: str | bytes) -> None:
        """A whole file (report, manifest, build.json) written as given."""
        self.documents[path] = content.encode("utf-8") if isinstance(content, str) else content

    def gzip(self, *paths: str) -> None:
        """Store these log files as ``<path>.gz``."""
        self.gzipped.update(paths)

    def write(self, root: Path) -> list[Path]:
        """Write every file under ``root``; returns the paths written, sorted."""
        written = []
        for rel in sorted(self.lines):
            records = sorted(self.lines[rel])
            body = self._number(rel, records)
            written.append(_write(root, rel, body, rel in self.gzipped))
        for rel in sorted(self.documents):
            written.append(_write(root, rel, self.documents[rel], False))
        return sorted(written)

    def _number(self, rel: str, records: list[tuple[int, int, str, str]]) -> bytes:
        shown = rel + ".gz" if rel in self.gzipped else rel
        lineno = 1
        chunks = []
        for _ms, _seq, text, mark in records:
            if mark:
                self.marks.setdefault(mark, []).append(f"{shown}:{lineno}")
            chunks.append(text)
            lineno += text.count("\n") + 1
        return ("\n".join(chunks) + "\n").encode("utf-8")


def _write(root: Path, rel: str, body: bytes, compress: bool) -> Path:
    path = root / (rel + ".gz" if compress else rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        body = gzip.compress(body, compresslevel=9, mtime=0)
    path.write_bytes(body)
    return path
