"""Container log wrappers whose payload is itself an app log (CONTRACT §1).

- Kubernetes CRI lines: ``<RFC3339Nano> stdout|stderr F|P <payload>``; ``P``
  marks a partial line continued by the next line(s) of that stream up to ``F``.
- Docker json-file lines: ``{"log": "...\\n", "stream": ..., "time": ...}``; a
  ``log`` without the final newline is a partial line continued likewise.
- Fluent Bit / shipper records: ``{"log": ..., "kubernetes": {...}}`` (one per
  line or a JSON array) whose ``log`` may hold many raw CRI lines.

The payload format is decided by sniffing the first payloads against every
line-based ingestor (ECS, logfmt, JSON lines, text, access logs); each payload
is parsed with that ingestor, falling back to JSON (apps mix JSON logs with
plain stderr) or a plain event, stamped with the wrapper's time when the
payload has none. Stack-trace lines split one per wrapper line are joined into
the event before them, as the text ingestor does.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Iterable, Iterator

import orjson

from triage.ingest import registry
from triage.ingest.base import (HEAD_LINES, Head, Ingestor, LineIngestor, ParseContext,
                                SourceFile, UnreadableSource)
from triage.ingest.ecs import convert_ecs, is_ecs
from triage.ingest.jsonlines import convert_record, iso_ts
from triage.ingest.otel import element_lines
from triage.ingest.text import Joiner, TextLogIngestor, plain_event
from triage.ingest.timeparse import parse_any
from triage.model import Layer

CRI_LINE = re.compile(r"(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) ([FP])(?: (.*))?")
SNIFF_PAYLOADS = 20
CONTAINER_FORMATS = {"cri", "docker-json", "fluent-bit-record"}
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
                 OverflowError)
_KUBELET_FILE = re.compile(
    r"([a-z0-9][-a-z0-9.]*)_([a-z0-9][-a-z0-9]*)_([a-z0-9][-a-z0-9]*?)-[0-9a-f]{64}\.log")


class PayloadParser:
    """Turns wrapper payloads into events with the app format they turn out to be.

    ``feed`` payloads in file order, then ``finish``; both return ready events.
    """

    def __init__(self, display: str) -> None:
        self.display = display
        self.inner: LineIngestor | None = None
        self.decided = False
        self.buffer: list[tuple[str, float | None, int | None, str | None, dict[str, Any]]] = []
        self.joiner = Joiner()
        self.open_stream: str | None = None

    def feed(self, payload: str, ts: float | None, line: int | None, stream: str | None,
             meta: dict[str, Any]) -> list[dict[str, Any]]:
        """Events completed by this payload (possibly none yet)."""
        if not self.decided:
            self.buffer.append((payload, ts, line, stream, meta))
            if len(self.buffer) < SNIFF_PAYLOADS:
                return []
            return self._decide()
        return self._one(payload, ts, line, stream, meta)

    def finish(self) -> list[dict[str, Any]]:
        """Everything still held back."""
        out = self._decide() if not self.decided else []
        done = self.joiner.finish()
        if done is not None:
            out.append(done)
        return out

    def _decide(self) -> list[dict[str, Any]]:
        self.decided = True
        self.inner = choose_inner([item[0] for item in self.buffer], self.display)
        out: list[dict[str, Any]] = []
        for item in self.buffer:
            out.extend(self._one(*item))
        self.buffer = []
        return out

    def _one(self, payload: str, ts: float | None, line: int | None, stream: str | None,
             meta: dict[str, Any]) -> list[dict[str, Any]]:
        if not payload or payload.isspace():
            return []
        event = self._parse(payload)
        if event is None:
            if self.open_stream == stream and self._continues(payload):
                self.joiner.add(payload)
                return []
            event = fallback_event(payload)
        attrs = event.get("attrs")
        if event.get("ts") is None:
            event["ts"] = ts
        elif attrs and attrs.get("year_guessed") and ts is not None:
            # The wrapper's stamp has the year the payload's klog/syslog stamp lacks.
            event["ts"] = ts
            del attrs["year_guessed"]
        if not event.get("service") and meta.get("service"):
            event["service"] = meta["service"]
        extra = meta.get("attrs") or {}
        if stream or extra:
            event["attrs"] = {**extra, **({"stream": stream} if stream else {}), **(attrs or {})}
        event["line"] = line
        self.open_stream = stream
        done = self.joiner.push(event)
        return [done] if done is not None else []

    def _parse(self, payload: str) -> dict[str, Any] | None:
        inner = self.inner
        if inner is None:
            return None
        try:
            event = inner.parse_line(payload)
        except _PARSE_ERRORS:
            return None
        if event is not None and inner.layer is not Layer.APP and not event.get("layer"):
            event["layer"] = inner.layer.value
        return event

    def _continues(self, payload: str) -> bool:
        # Inside a text log every line without a timestamp continues the one before.
        if isinstance(self.inner, TextLogIngestor):
            return self.joiner.event is not None
        return self.joiner.continues(payload)


def fallback_event(payload: str) -> dict[str, Any]:
    """An event for a payload the chosen format did not read.

    Apps mix JSON logs with plain stderr lines, so a JSON object is still read
    as ECS or generic JSON; anything else is a plain (maybe timestamped) line.
    """
    if payload[:1] == "{":
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and obj:
            return convert_ecs(obj) if is_ecs(obj) else convert_record(obj)
    return plain_event(payload)


def choose_inner(payloads: list[str], display: str) -> LineIngestor | None:
    """The line-based ingestor whose sniffer is surest about these payloads, or None."""
    lines = [p for p in payloads if p and not p.isspace()][:HEAD_LINES]
    if not lines:
        return None
    head = Head(path=display, text="\n".join(lines), lines=lines)
    best: LineIngestor | None = None
    best_score = 0.0
    for ingestor in registry.ingestors().values():
        if not isinstance(ingestor, LineIngestor) or ingestor.name in CONTAINER_FORMATS:
            continue
        try:
            score = ingestor.sniff(head)
        except Exception:  # noqa: BLE001 - a sniffer bug must not stop parsing
            score = 0.0
        if score > best_score:
            best, best_score = ingestor, score
    return best


def _ratio(lines: list[str], test) -> float:
    return sum(1 for line in lines if test(line)) / len(lines) if lines else 0.0


class CriLines:
    """Joins CRI partial (``P``) lines per stream and yields whole payloads."""

    def __init__(self) -> None:
        self.partial: dict[str, tuple[float | None, int | None, list[str]]] = {}

    def add(self, match: re.Match[str], line: int | None
            ) -> tuple[str, float | None, int | None, str] | None:
        """``(payload, ts, first line, stream)`` once a payload is complete, else None."""
        stamp, stream, tag, payload = match.groups()
        payload = payload or ""
        ts = iso_ts(stamp)
        if tag == "P":
            started = self.partial.setdefault(stream, (ts, line, []))
            started[2].append(payload)
            return None
        if stream in self.partial:
            ts, line, parts = self.partial.pop(stream)
            payload = "".join(parts) + payload
        return payload, ts, line, stream

    def leftovers(self) -> Iterator[tuple[str, float | None, int | None, str]]:
        """Partial payloads the file ended in the middle of."""
        for stream, (ts, line, parts) in self.partial.items():
            yield "".join(parts), ts, line, stream
        self.partial = {}


def _meta_from_path(display: str) -> dict[str, Any]:
    """Container name from kubelet paths: ``pods/<ns>_<pod>_<uid>/<container>/0.log``
    or ``containers/<pod>_<ns>_<container>-<id>.log``."""
    path = PurePosixPath(display.replace("\\", "/"))
    m = _KUBELET_FILE.fullmatch(path.name)
    if m:
        return {"service": m.group(3), "attrs": {"pod": m.group(1), "namespace": m.group(2)}}
    if path.stem.isdigit() and len(path.parts) >= 2:
        meta: dict[str, Any] = {"service": path.parts[-2]}
        pod_dir = path.parts[-3].split("_") if len(path.parts) >= 3 else []
        if len(pod_dir) == 3:
            meta["attrs"] = {"namespace": pod_dir[0], "pod": pod_dir[1]}
        return meta
    return {}


class CriIngestor(Ingestor):
    """Kubernetes CRI (containerd, CRI-O) container log lines."""

    name = "cri"
    layer = Layer.APP
    description = "Kubernetes CRI container lines '<time> stdout|stderr F|P <payload>'"

    def sniff(self, head: Head) -> float:
        """0.95 when nearly every head line is a CRI line."""
        return 0.95 if _ratio(head.lines[:HEAD_LINES], CRI_LINE.match) >= 0.8 else 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Events of the payloads; a line that is not CRI is skipped."""
        payloads = PayloadParser(source.display)
        cri = CriLines()
        meta = _meta_from_path(source.display)
        for lineno, text in source.lines():
            if not text:
                continue
            match = CRI_LINE.match(text)
            if match is None:
                ctx.skip_line(lineno, "not a valid cri line", text)
                continue
            whole = cri.add(match, lineno)
            if whole is not None:
                yield from payloads.feed(whole[0], whole[1], whole[2], whole[3], meta)
        for payload, ts, line, stream in cri.leftovers():
            yield from payloads.feed(payload, ts, line, stream, meta)
        yield from payloads.finish()


def _is_docker(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("log"), str) and "time" in obj and "stream" in obj


class DockerJsonIngestor(Ingestor):
    """Docker json-file driver lines: ``{"log", "stream", "time"}``."""

    name = "docker-json"
    layer = Layer.APP
    description = "Docker json-file container logs {log, stream, time}"

    def sniff(self, head: Head) -> float:
        """0.95 when most head objects are docker json-file records (not shipper records)."""
        objects = head.json_objects
        if not objects or any("kubernetes" in obj for obj in objects[:5]):
            return 0.0
        if not _is_docker(objects[0]) or len(objects) < 0.6 * len(head.lines):
            return 0.0
        return 0.95 if _ratio(objects, _is_docker) >= 0.6 else 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Events of the payloads; a line that is not a docker record is skipped."""
        payloads = PayloadParser(source.display)
        partial: dict[str, tuple[float | None, int, list[str]]] = {}
        for lineno, text in source.lines():
            if not text.strip():
                continue
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                ctx.skip(lineno, f"not a valid docker-json line: invalid JSON ({exc})")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("log"), str):
                ctx.skip(lineno, "not a valid docker-json line: no \"log\" string")
                continue
            stream = obj.get("stream") if isinstance(obj.get("stream"), str) else None
            ts = parse_any(obj.get("time"))
            log: str = obj["log"]
            key = stream or ""
            if not log.endswith("\n"):
                # json-file splits lines over 16 KiB; the last piece ends with "\n".
                partial.setdefault(key, (ts, lineno, []))[2].append(log)
                continue
            if key in partial:
                ts, lineno, parts = partial.pop(key)
                log = "".join(parts) + log
            for payload in log.rstrip("\r\n").split("\n"):
                yield from payloads.feed(payload.rstrip("\r"), ts, lineno, stream, {})
        for key, (ts, lineno, parts) in partial.items():
            yield from payloads.feed("".join(parts).rstrip("\r\n"), ts, lineno, key or None, {})
        yield from payloads.finish()


_RECORD_TS = ("date", "time", "@timestamp", "timestamp")
_HAS_K8S = re.compile(r'"kubernetes"\s*:\s*\{')
_HAS_LOG = re.compile(r'"log"\s*:\s*"')


def _is_record(obj: Any) -> bool:
    return (isinstance(obj, dict) and isinstance(obj.get("log"), str)
            and isinstance(obj.get("kubernetes"), dict))


def record_meta(record: dict[str, Any]) -> dict[str, Any]:
    """Service and a few attrs from a record's ``kubernetes`` block."""
    k8s = record.get("kubernetes")
    if not isinstance(k8s, dict):
        return {}
    labels = k8s.get("labels") if isinstance(k8s.get("labels"), dict) else {}
    service = (k8s.get("container_name") or labels.get("app.kubernetes.io/name")
               or labels.get("app"))
    attrs = {name: k8s[key] for name, key in (("pod", "pod_name"), ("namespace", "namespace_name"),
                                              ("container", "container_name"), ("host", "host"))
             if isinstance(k8s.get(key), str)}
    return {"service": service if isinstance(service, str) else None, "attrs": attrs}


class FluentBitRecordIngestor(Ingestor):
    """Fluent Bit (or other shipper) output records with a ``kubernetes`` block."""

    name = "fluent-bit-record"
    layer = Layer.APP
    description = "Fluent Bit / shipper records {log, kubernetes{...}} (lines or a JSON array)"

    def sniff(self, head: Head) -> float:
        """0.97 for records with ``log`` and ``kubernetes``; 0.9 for a cut-off array of them."""
        document = head.document
        if isinstance(document, list) and document:
            return 0.97 if _is_record(document[0]) else 0.0
        if isinstance(document, dict):
            return 0.97 if _is_record(document) else 0.0
        objects = head.json_objects
        if objects and len(objects) >= 0.6 * len(head.lines):
            return 0.97 if _ratio(objects, _is_record) >= 0.8 else 0.0
        text = head.text[:HEAD_LINES * 200]
        if text.lstrip()[:1] in ("[", "{") and _HAS_K8S.search(text) and _HAS_LOG.search(text):
            return 0.9
        return 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Events of every record's payload lines; a line that is not a record is skipped."""
        payloads = PayloadParser(source.display)
        for record, lineno in self._records(source, ctx):
            yield from self._record_events(record, lineno, payloads)
        yield from payloads.finish()

    def _records(self, source: SourceFile, ctx: ParseContext) -> Iterable[tuple[dict[str, Any], int]]:
        data = source.read_bytes()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, list):
            lines = element_lines(data.decode("utf-8", "replace"), None)
            for index, record in enumerate(document):
                if _is_record(record) or (isinstance(record, dict) and isinstance(record.get("log"), str)):
                    yield record, (lines[index] if index < len(lines) else 1)
                else:
                    ctx.skip(lines[index] if index < len(lines) else None,
                             "not a valid fluent-bit-record: no \"log\" string")
            return
        if isinstance(document, dict):
            if not isinstance(document.get("log"), str):
                raise UnreadableSource("error", "JSON document has no \"log\" string: not a shipper record")
            yield document, 1
            return
        yield from self._record_lines(source, ctx)

    @staticmethod
    def _record_lines(source: SourceFile, ctx: ParseContext) -> Iterator[tuple[dict[str, Any], int]]:
        for lineno, text in source.lines():
            if not text.strip():
                continue
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                ctx.skip(lineno, f"not a valid fluent-bit-record line: invalid JSON ({exc})")
                continue
            if isinstance(obj, dict) and isinstance(obj.get("log"), str):
                yield obj, lineno
            else:
                ctx.skip(lineno, "not a valid fluent-bit-record line: no \"log\" string")

    @staticmethod
    def _record_events(record: dict[str, Any], lineno: int,
                       payloads: PayloadParser) -> Iterator[dict[str, Any]]:
        meta = record_meta(record)
        ts = next((parse_any(record[key]) for key in _RECORD_TS if key in record), None)
        stream = record.get("stream") if isinstance(record.get("stream"), str) else None
        cri = CriLines()
        for text in record["log"].rstrip("\n").split("\n"):
            match = CRI_LINE.match(text)
            whole = cri.add(match, lineno) if match else (text.rstrip("\r"), ts, lineno, stream)
            if whole is not None:
                yield from payloads.feed(whole[0], whole[1] if whole[1] is not None else ts,
                                         whole[2], whole[3], meta)
        for payload, cri_ts, line, cri_stream in cri.leftovers():
            yield from payloads.feed(payload, cri_ts, line, cri_stream, meta)
