"""What every ingestor is: a sniffer and a parser for one format.

An ingestor never raises on bad input. A line it cannot read is reported with
``ctx.skip(line, reason)``; a whole file it cannot read raises
``UnreadableSource`` and is listed in the report with that reason.
"""
from __future__ import annotations

import gzip
import io
import math
from itertools import chain
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Iterable, Iterator

import orjson

from triage.model import Layer, SkippedLine, SourceKind, TestResult

HEAD_BYTES = 64 * 1024
HEAD_LINES = 40
MAX_EXAMPLES = 5
GZIP_MAGIC = b"\x1f\x8b"


class UnreadableSource(Exception):
    """The whole file cannot be read (binary, truncated gzip, not this format)."""

    def __init__(self, status: str, reason: str):
        self.status = status
        super().__init__(reason)


@dataclass
class SourceFile:
    """One input file; ``.gz`` is decompressed transparently."""

    path: Path
    display: str  # path relative to the build folder, as reports show it
    # A piece of an uncompressed file, [start, end) in bytes, cut after a newline
    # (large files are read in pieces by several processes); None: the whole file.
    byte_range: tuple[int, int] | None = None

    @property
    def compressed(self) -> bool:
        with open(self.path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC

    def open_binary(self) -> io.BufferedIOBase:
        if self.byte_range is not None:
            return io.BufferedReader(_ByteRange(self.path, *self.byte_range), buffer_size=1 << 20)
        if self.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return open(self.path, "rb")

    def read_bytes(self, limit: int | None = None) -> bytes:
        with self.open_binary() as fh:
            try:
                return fh.read() if limit is None else fh.read(limit)
            except (EOFError, OSError, zlib.error) as exc:
                raise UnreadableSource("truncated", f"compressed stream is damaged: {exc}") from exc

    def read_text(self) -> str:
        return decode(self.read_bytes())

    def lines(self) -> Iterator[tuple[int, str]]:
        """``(line number, text without the newline)``, 1-based, streamed."""
        lineno = 0
        with self.open_binary() as fh:
            try:
                for raw in fh:
                    lineno += 1
                    yield lineno, decode(raw).rstrip("\r\n")
            except (EOFError, OSError, zlib.error) as exc:
                raise UnreadableSource(
                    "truncated", f"compressed stream ends early after line {lineno}: {exc}") from exc


class _ByteRange(io.RawIOBase):
    """Reads ``[start, end)`` of a file as if it were the whole file."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        super().__init__()
        self._file = open(path, "rb", buffering=0)
        self._file.seek(start)
        self._left = max(0, end - start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        count = self._file.readinto(memoryview(buffer)[: self._left]) or 0
        self._left -= count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); invalid bytes become U+FFFD rather than errors."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    return raw.decode("utf-8", errors="replace")


BLOCK_BYTES = 1 << 20
_READ_ERRORS = (EOFError, OSError, zlib.error)
# What LineIngestor.parse turns into a skipped line rather than an error.
LINE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
               OverflowError)


def raw_lines(source: SourceFile) -> Iterator[bytes | str]:
    """``SourceFile.lines`` without the decoding: each line's bytes, ``\\n`` included.

    After a read error the rest comes from ``SourceFile.lines`` itself (as text), so
    the lines kept and the ``UnreadableSource`` raised are exactly its own.
    """
    done = 0
    try:
        with source.open_binary() as fh:
            for raw in fh:
                done += 1
                yield raw
        return
    except _READ_ERRORS:
        pass
    for lineno, text in source.lines():
        if lineno > done:
            yield text


def line_blocks(source: SourceFile) -> Iterator[list[str]]:
    """The lines of ``source`` (``.gz`` too) in blocks of about ``BLOCK_BYTES``.

    In: a source. Out: lists of lines numbered from 1 without gaps, each exactly
    as ``SourceFile.lines`` gives it, with a decode per block rather than per line.
    Raises: ``UnreadableSource`` as ``SourceFile.lines`` does, after the same lines.
    """
    done = 0  # lines handed out so far
    pieces: list[bytes] = []
    try:
        with source.open_binary() as fh:
            while block := fh.read(BLOCK_BYTES):
                if b"\n" not in block:
                    pieces.append(block)
                    continue
                if pieces:
                    pieces.append(block)
                    block = b"".join(pieces)
                cut = block.rfind(b"\n")
                pieces = [block[cut + 1:]] if cut + 1 < len(block) else []
                lines = _decode_lines(block[:cut])
                done += len(lines)
                yield lines
    except _READ_ERRORS:
        # Re-read line by line from where the blocks stopped, so that the lines
        # kept and the error raised are those of SourceFile.lines.
        for lineno, text in source.lines():
            if lineno > done:
                yield [text]
        return
    if pieces:
        yield [decode(b"".join(pieces)).rstrip("\r\n")]


def _decode_lines(body: bytes) -> list[str]:
    """Complete lines decoded in one go; line by line when any needs ``decode``'s care."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\ufeff" in text:  # bad bytes or a BOM: decode() per line decides
        return [decode(line + b"\n").rstrip("\r\n") for line in body.split(b"\n")]
    lines = text.split("\n")
    return [line.rstrip("\r") for line in lines] if "\r" in text else lines


@dataclass
class Head:
    """The start of a file, for sniffing by content."""

    path: str
    text: str
    lines: list[str]

    @classmethod
    def of(cls, source: SourceFile) -> "Head":
        text = decode(source.read_bytes(HEAD_BYTES))
        lines = [line.rstrip("\r") for line in text.split("\n")]
        if len(text.encode("utf-8", "replace")) >= HEAD_BYTES and len(lines) > 1:
            lines = lines[:-1]  # the last one is probably cut
        non_empty = [line for line in lines if line.strip()][:HEAD_LINES]
        return cls(path=source.display, text=text, lines=non_empty)

    @cached_property
    def json_objects(self) -> list[dict[str, Any]]:
        """The head's lines that parse as JSON objects (for JSON-lines formats)."""
        found = []
        for line in self.lines:
            stripped = line.strip()
            if stripped.startswith("{"):
                try:
                    value = orjson.loads(stripped)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    found.append(value)
        return found

    @cached_property
    def document(self) -> Any:
        """The whole head parsed as one JSON document, if it is complete JSON."""
        stripped = self.text.strip()
        if not stripped or stripped[0] not in "{[":
            return None
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return None


@dataclass
class ParseContext:
    """Collects what one source could not read, with where and why."""

    source: str
    skipped: int = 0
    examples: list[SkippedLine] = field(default_factory=list)

    def skip(self, line: int | None, reason: str) -> None:
        self.skipped += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(SkippedLine(line=line, reason=reason[:300]))


class Ingestor:
    """Base of all ingestors. Subclasses set the class attributes below."""

    name: ClassVar[str]                      # format id shown in reports, e.g. "kong-json"
    kind: ClassVar[SourceKind] = SourceKind.EVENTS
    layer: ClassVar[Layer] = Layer.APP       # default layer of its events
    description: ClassVar[str] = ""

    def sniff(self, head: Head) -> float:
        """How sure (0..1) that ``head`` is this format. 0 means no."""
        raise NotImplementedError

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterable[Any]:
        """Events (dicts keyed by ``EVENT_COLUMNS``), or TestResults for test reports."""
        raise NotImplementedError

    def splittable(self, head: Head) -> bool:
        """Whether a file whose start is ``head`` can be parsed in pieces cut at
        newlines, each as if it were a file of its own (no state across lines)."""
        return False


class LineIngestor(Ingestor):
    """A format with one event per line. Subclasses implement ``parse_line``."""

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """One event from one line, or None when the line is not this format."""
        raise NotImplementedError

    def splittable(self, head: Head) -> bool:
        return True

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        parse_line = self.parse_line
        for lineno, text in enumerate(chain.from_iterable(line_blocks(source)), 1):
            if not text or text.isspace():
                continue
            try:
                event = parse_line(text)
            except LINE_ERRORS as exc:
                ctx.skip(lineno, f"not a valid {self.name} line: {type(exc).__name__}: {exc}")
                continue
            if event is None:
                ctx.skip(lineno, f"not a valid {self.name} line: {text[:80]!r}")
                continue
            event["line"] = lineno
            yield event


class JsonLineIngestor(LineIngestor):
    """One JSON object per line. Subclasses implement ``convert``."""

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    def parse_line(self, text: str) -> dict[str, Any] | None:
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise ValueError("JSON value is not an object")
        return self.convert(obj)


class TestReportIngestor(Ingestor):
    """A test report. ``parse`` returns ``TestResult`` records."""

    __test__ = False  # not a pytest test class
    kind = SourceKind.TESTS
    layer = Layer.TEST

    def parse(self, source: SourceFile, ctx: ParseContext) -> list[TestResult]:
        raise NotImplementedError


def first(obj: dict[str, Any], *keys: str) -> Any:
    """The first present, non-empty value among dotted keys (``"http.request.id"``).

    Looks up both nested (``{"http": {"request": ...}}``) and flat dotted keys,
    as ECS producers write either.
    """
    for key in keys:
        if key in obj:
            value = obj[key]
        else:
            value = obj
            for part in key.split("."):
                if isinstance(value, dict) and part in value:
                    value = value[part]
                else:
                    value = None
                    break
        if value not in (None, "", "-"):
            return value
    return None


def to_int(value: Any) -> int | None:
    """An int from a number or numeric string; None for blanks, garbage, NaN or infinity."""
    if value in (None, "", "-") or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        real = to_float(value)
        number = int(real) if real is not None else None
    # Outside 64 bits it cannot be a status, size or count; it is garbage.
    return number if number is not None and -2**63 <= number < 2**63 else None


def to_float(value: Any) -> float | None:
    """A finite float, or None for blanks, garbage, NaN or infinity."""
    if value in (None, "", "-") or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def line_match_ratio(head: Head, parse_line, sample: int = 20) -> float:
    """Fraction of the head's first lines that ``parse_line`` accepts."""
    lines = head.lines[:sample]
    if not lines:
        return 0.0
    hits = 0
    for line in lines:
        try:
            if parse_line(line) is not None:
                hits += 1
        except Exception:  # noqa: BLE001 - sniffing must never raise
            pass
    return hits / len(lines)
