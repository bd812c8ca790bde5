"""What every ingestor is: a sniffer and a parser for one format.

An ingestor never raises on bad input. A line it cannot read is reported with
``ctx.skip(line, reason)``; a whole file it cannot read raises
``UnreadableSource`` and is listed in the report with that reason.
"""
from __future__ import annotations

import codecs
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
from triage.redact import redact

HEAD_BYTES = 64 * 1024
HEAD_LINES = 40
MAX_EXAMPLES = 5
GZIP_MAGIC = b"\x1f\x8b"
_READ_ERRORS = (EOFError, OSError, zlib.error)


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
        """The file's bytes, decompressed, and as UTF-8 even where it was written in UTF-16."""
        if self.byte_range is not None:  # a piece: only plain UTF-8 files are cut
            return io.BufferedReader(_ByteRange(self.path, *self.byte_range), buffer_size=1 << 20)
        raw = gzip.open(self.path, "rb") if self.compressed else open(self.path, "rb")
        try:
            start = raw.peek(UTF16_SNIFF_BYTES)[:UTF16_SNIFF_BYTES]
        except _READ_ERRORS:
            start = b""  # a damaged stream: the first read reports it
        if start.startswith(UTF8_BOM):
            raw.read(len(UTF8_BOM))  # whole-document readers (orjson) refuse a BOM
            return raw  # type: ignore[return-value]
        encoding = utf16_encoding(start)
        if encoding is None:
            return raw  # type: ignore[return-value]
        return io.BufferedReader(_Utf16AsUtf8(raw, encoding))

    def read_bytes(self, limit: int | None = None) -> bytes:
        with self.open_binary() as fh:
            try:
                return fh.read() if limit is None else fh.read(limit)
            except (EOFError, OSError, zlib.error) as exc:
                raise UnreadableSource("truncated", f"compressed stream is damaged: {exc}") from exc

    def read_text(self) -> str:
        return decode(self.read_bytes())

    def lines(self) -> Iterator[tuple[int, str]]:
        """``(line number, text without the newline)``, 1-based, streamed.

        Raises: ``UnreadableSource`` after the last line read when the stream
        breaks off (truncated gzip, an I/O error, the file vanishing).
        """
        lineno = 0
        try:
            with self.open_binary() as fh:
                for raw in bounded_lines(fh):
                    lineno += 1
                    yield lineno, decode(raw).rstrip("\r\n")
        except _READ_ERRORS as exc:
            raise self.cut_short(lineno, exc) from exc

    def cut_short(self, lineno: int, exc: BaseException) -> UnreadableSource:
        """The error for a stream that broke off after ``lineno`` whole lines."""
        if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
            return UnreadableSource("truncated", f"compressed stream ends early after line {lineno}: {exc}")
        return UnreadableSource("error", f"reading stopped after line {lineno}: "
                                         f"{type(exc).__name__}: {exc}")


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
    """UTF-8 (with or without BOM); invalid bytes become U+FFFD rather than errors.

    UTF-16 files never get here as such: ``SourceFile.open_binary`` re-encodes them.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", errors="replace")


UTF16_SNIFF_BYTES = 4096
UTF8_BOM = b"\xef\xbb\xbf"


def utf16_encoding(start: bytes) -> str | None:
    """The codec of a UTF-16 stream from its first bytes, or None (read as UTF-8).

    A byte order mark decides; without one, mostly-ASCII UTF-16 shows a NUL in
    nearly every other byte (odd ones little-endian, even ones big-endian).
    """
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    pairs = len(start) // 2
    if pairs < 8:
        return None
    even_nuls, odd_nuls = start[0:2 * pairs:2].count(0) / pairs, start[1:2 * pairs:2].count(0) / pairs
    if odd_nuls > 0.9 and even_nuls < 0.1:
        return "utf-16-le"
    if even_nuls > 0.9 and odd_nuls < 0.1:
        return "utf-16-be"
    return None


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 byte stream re-encoded as UTF-8 (bad code units become U+FFFD)."""

    def __init__(self, raw: io.BufferedIOBase, encoding: str):
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._raw.read(1 << 16)
            self._pending = self._decoder.decode(chunk, final=not chunk).encode("utf-8")
            if not chunk:
                break
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


BLOCK_BYTES = 1 << 20
# A line longer than this keeps its first MAX_LINE_BYTES; the rest is read past,
# never held, so a file with no newline at all cannot exhaust memory.
MAX_LINE_BYTES = 64 << 20


def bounded_lines(fh: io.BufferedIOBase) -> Iterator[bytes]:
    """A binary file's lines (``\\n`` kept), each cut to ``MAX_LINE_BYTES``."""
    readline = fh.readline
    while raw := readline(MAX_LINE_BYTES):
        if len(raw) == MAX_LINE_BYTES and raw[-1:] != b"\n":
            while (rest := readline(MAX_LINE_BYTES)) and rest[-1:] != b"\n":
                pass
        yield raw
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
            for raw in bounded_lines(fh):
                done += 1
                yield raw
        return
    except _READ_ERRORS as exc:
        error = exc
    for _, text in _reread_after(source, done, error):
        yield text


def _reread_after(source: SourceFile, done: int, error: BaseException) -> Iterator[tuple[int, str]]:
    """``source.lines()`` past line ``done``, after a block read failed with ``error``.

    Raises: ``UnreadableSource`` naming the furthest line reached either way
    (the file may have vanished in between, so the re-read can stop earlier).
    """
    reached = 0
    try:
        for lineno, text in source.lines():
            reached = lineno
            if lineno > done:
                yield lineno, text
    except UnreadableSource:
        if reached >= done:
            raise
        raise source.cut_short(done, error) from error


def line_blocks(source: SourceFile, raw: bool = False) -> Iterator[list[str]] | Iterator[list[bytes]]:
    """The lines of ``source`` (``.gz`` too) in blocks of about ``BLOCK_BYTES``.

    In: a source. Out: lists of lines numbered from 1 without gaps, each exactly
    as ``SourceFile.lines`` gives it, with a decode per block rather than per line.
    With ``raw`` the lines stay bytes (``\r`` kept; ``decode(line).rstrip("\r\n")``
    is the text line), except after a read error, where the rest comes as text.
    Raises: ``UnreadableSource`` as ``SourceFile.lines`` does, after the same lines.
    """
    done = 0  # lines handed out so far
    pieces: list[bytes] = []
    size = 0  # bytes held in pieces: the start of an unfinished line
    try:
        with source.open_binary() as fh:
            while block := fh.read(BLOCK_BYTES):
                if b"\n" not in block:
                    if size < MAX_LINE_BYTES:  # past that the line's rest is dropped
                        pieces.append(block)
                        size += len(block)
                    continue
                if pieces:
                    end = block.index(b"\n")
                    if size + end > MAX_LINE_BYTES:
                        block = (b"".join(pieces) + block[:end])[:MAX_LINE_BYTES] + block[end:]
                    else:
                        pieces.append(block)
                        block = b"".join(pieces)
                cut = block.rfind(b"\n")
                pieces = [block[cut + 1:]] if cut + 1 < len(block) else []
                size = len(block) - cut - 1
                lines = block[:cut].split(b"\n") if raw else _decode_lines(block[:cut])
                done += len(lines)
                yield lines
    except _READ_ERRORS as exc:
        # Re-read line by line from where the blocks stopped, so that the lines
        # kept and the error raised are those of SourceFile.lines.
        for _, text in _reread_after(source, done, exc):
            yield [text]
        return
    if pieces:
        last = b"".join(pieces)[:MAX_LINE_BYTES]
        yield [last] if raw else [decode(last).rstrip("\r\n")]


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
        """Count a skipped line; the first few are kept, secrets redacted before the
        reason is cut (a cut secret is no longer recognisable as one)."""
        self.skipped += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(SkippedLine(line=line, reason=redact(reason[:PREVIEW_SCAN])[:300]))

    def skip_line(self, line: int, what: str, text: str) -> None:
        """Skip a line, showing its start: ``what: 'first 80 characters'``."""
        self.skipped += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(SkippedLine(line=line, reason=f"{what}: {preview(text)!r}"[:300]))


PREVIEW_SCAN = 4096  # a 10 MB line is redacted only as far as a preview can show


def preview(text: str, limit: int = 80) -> str:
    """The start of ``text`` for a message, with secrets redacted before the cut."""
    return redact(text[:PREVIEW_SCAN])[:limit]


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

    def parse_rows(self, source: SourceFile, ctx: ParseContext) -> Iterator[list[tuple]] | None:
        """The events of ``parse`` as blocks of rows (``triage.ingest.rows``), or
        None where the format has no faster way than its event dicts."""
        return None

    def splittable(self, head: Head) -> bool:
        """Whether a file whose start is ``head`` can be parsed in pieces cut at
        newlines, each as if it were a file of its own (no state across lines)."""
        return False


class LineIngestor(Ingestor):
    """A format with one event per line. Subclasses implement ``parse_line``."""

    # True where a line that is not an event continues the one before it (stack
    # traces), so lines and events + skips need not add up.
    joins_continuations: ClassVar[bool] = False

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """One event from one line, or None when the line is not this format."""
        raise NotImplementedError

    def splittable(self, head: Head) -> bool:
        return True

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        event_of_line = self.event_of_line
        for lineno, text in enumerate(chain.from_iterable(line_blocks(source)), 1):
            event = event_of_line(lineno, text, ctx)
            if event is not None:
                yield event

    def event_of_line(self, lineno: int, text: str, ctx: ParseContext) -> dict[str, Any] | None:
        """The event of one line (``line`` set), or None: blank, or skipped in ``ctx``."""
        if not text or text.isspace():
            return None
        try:
            event = self.parse_line(text)
        except LINE_ERRORS as exc:
            ctx.skip(lineno, f"not a valid {self.name} line: {type(exc).__name__}: {exc}")
            return None
        if event is None:
            ctx.skip_line(lineno, f"not a valid {self.name} line", text)
            return None
        event["line"] = lineno
        return event


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
