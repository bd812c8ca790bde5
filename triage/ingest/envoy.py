"""Envoy access logs: the default text format, Istio's text and JSON formats.

Text (Envoy's default)::

    [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
    %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
    %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
    "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"

Istio adds ``%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
"%UPSTREAM_TRANSPORT_FAILURE_REASON%"`` after the flags and ``%UPSTREAM_CLUSTER%
%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
%REQUESTED_SERVER_NAME% %ROUTE_NAME%`` at the end (older Istio: no route name).
Envoy's own application lines (``[ts][tid][level][logger] [file:line] msg``) in the
same stream become events with a level. JSON access logs are matched by key
name in any spelling (``response_code``, ``RESPONSE_CODE``, ``responseCode``).
"""
from __future__ import annotations

import re
from typing import Any

from triage.ingest.base import Head, JsonLineIngestor, LineIngestor, to_float, to_int
from triage.ingest.nginx import TZ_ASSUMED, as_text, strip_port
from triage.ingest.timeparse import parse_any, parse_iso
from triage.model import Layer

_ACCESS = re.compile(
    r'^(?:ACCESS )?\[(?P<start>[^\]]+)\] "(?P<request>[^"]*)" (?P<code>\d+) (?P<flags>\S+)'
    r'(?: (?P<details>[^"\s]+) (?P<termination>[^"\s]+))?(?: "(?P<failure>[^"]*)")?'
    r' (?P<rx>\d+|-) (?P<tx>\d+|-) (?P<duration>\d+|-) (?P<ust>\d+|-)'
    r' "(?P<xff>[^"]*)" "(?P<ua>[^"]*)" "(?P<rid>[^"]*)" "(?P<authority>[^"]*)"'
    r' "(?P<upstream_host>[^"]*)"(?: (?P<tail>.*?))?\s*$')
_APP = re.compile(
    r'^\[(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?)\]\[(?P<tid>\d+)\]'
    r'\[(?P<level>\w+)\]\[(?P<logger>[^\]]+)\] (?:\[(?P<src>[^\]]+)\] )?(?P<msg>.*)$')
# Istio's trailing fields, in order.
_TAIL_FIELDS = ("upstream_cluster", "upstream_local_address", "downstream_local_address",
                "downstream_remote_address", "requested_server_name", "route_name")
_OK_DETAILS = {"via_upstream", "-"}


def _clean(value: Any) -> Any:
    return None if value in (None, "", "-") else value


def access_message(method: str | None, path: str | None, status: Any, flags: str | None,
                   details: str | None, upstream_host: str | None, tcp: bool = False) -> str:
    """``GET /x 503 UH no_healthy_upstream``; TCP lines read ``TCP 10.0.0.1:80 0 UF``."""
    if tcp:
        text = f"TCP {upstream_host or '-'} {status}"
    else:
        text = f"{method or '-'} {path or '-'} {status}"
    if flags:
        text += f" {flags}"
    if details and details not in _OK_DETAILS:
        text += f" {details}"
    return text


def _request(request: str) -> tuple[str | None, str | None, str | None]:
    parts = request.split(" ")
    if len(parts) != 3:
        return None, _clean(request), None
    return _clean(parts[0]), _clean(parts[1]), _clean(parts[2])


def parse_access(text: str) -> dict[str, Any] | None:
    """One Envoy/Istio text access line -> event, or None if it is not one."""
    m = _ACCESS.match(text)
    if m is None:
        return None
    method, path, protocol = _request(m["request"])
    status = int(m["code"])
    flags = _clean(m["flags"])
    details = _clean(m["details"])
    upstream_host = _clean(m["upstream_host"])
    xff = _clean(m["xff"])
    attrs: dict[str, Any] = {}
    for key, value in (("authority", m["authority"]), ("response_code_details", details),
                       ("connection_termination_details", m["termination"]),
                       ("upstream_transport_failure_reason", m["failure"]),
                       ("x_forwarded_for", xff)):
        if _clean(value) is not None:
            attrs[key] = value
    tcp = method is None and path is None and protocol is None
    if tcp:
        attrs["proxy_type"] = "tcp"
    if m["tail"]:
        for key, value in zip(_TAIL_FIELDS, m["tail"].split()):
            if value != "-":
                attrs[key] = value
    client = xff.split(",", 1)[0].strip() if xff else strip_port(
        attrs.get("downstream_remote_address"))
    event: dict[str, Any] = {
        "ts": parse_iso(m["start"]),
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": to_float(m["duration"]),
        "upstream_latency_ms": to_float(m["ust"]),
        "upstream_host": upstream_host,
        "request_id": _clean(m["rid"]),
        "client_ip": client,
        "user_agent": _clean(m["ua"]),
        "error": flags,
        "message": access_message(method, path, status, flags, details, upstream_host, tcp),
    }
    if protocol:
        attrs["protocol"] = protocol
    if attrs:
        event["attrs"] = attrs
    return event


def parse_app_line(text: str) -> dict[str, Any] | None:
    """One Envoy application log line (``[2021-03-12 15:31:30.492][1][warning][runtime] ...``)."""
    m = _APP.match(text)
    if m is None:
        return None
    attrs: dict[str, Any] = {"logger": m["logger"], "thread": int(m["tid"]),
                             "tz": TZ_ASSUMED}
    if m["src"]:
        attrs["source_location"] = m["src"]
    return {"ts": parse_iso(m["ts"]), "level": m["level"], "message": m["msg"], "attrs": attrs}


def parse_text_line(text: str) -> dict[str, Any] | None:
    """An access line or an application line; None for anything else."""
    event = parse_access(text)
    if event is None and text[:1] == "[":
        event = parse_app_line(text)
    return event


class EnvoyTextIngestor(LineIngestor):
    """Envoy's default text access log (and Istio's variant), with Envoy's own lines."""

    name = "envoy-text"
    layer = Layer.INGRESS
    description = "Envoy / Istio text access log (response flags, x-request-id, upstream host)"

    def sniff(self, head: Head) -> float:
        """0.95 x the share of access or Envoy application lines; 0.9 x for app lines alone."""
        lines = head.lines[:20]
        if not lines:
            return 0.0
        access = app = 0
        for line in lines:
            if _ACCESS.match(line):
                access += 1
            elif _APP.match(line):
                app += 1
        if access:
            return 0.95 * (access + app) / len(lines)
        return 0.9 * app / len(lines)

    def parse_line(self, text: str) -> dict[str, Any] | None:
        return parse_text_line(text)


# Canonical field -> accepted key spellings, compared lower-cased without "_", "-", ":".
_JSON_KEYS: dict[str, tuple[str, ...]] = {
    "ts": ("starttime", "timestamp", "time", "@timestamp"),
    "method": ("method", "requestmethod", "reqmethod"),
    "path": ("path", "xenvoyoriginalpath", "originalpath", "requestpath", "uri"),
    "protocol": ("protocol",),
    "status": ("responsecode", "status", "statuscode", "code"),
    "flags": ("responseflags", "flags"),
    "details": ("responsecodedetails",),
    "duration": ("duration", "durationms", "totalduration", "requestduration"),
    "ust": ("upstreamservicetime", "xenvoyupstreamservicetime"),
    "upstream_host": ("upstreamhost", "upstreamaddress"),
    "request_id": ("requestid", "xrequestid", "reqid"),
    "trace_id": ("traceid", "traceparent", "xb3traceid"),
    "authority": ("authority", "host", "requestauthority"),
    "user_agent": ("useragent",),
    "xff": ("xforwardedfor", "forwardedfor"),
    "downstream": ("downstreamremoteaddress", "downstreamremoteaddresswithoutport",
                   "downstreamdirectremoteaddress", "clientip", "clientaddress"),
    "level": ("level", "severity"),
}
# Folded key -> the attrs name it is kept under.
_JSON_ATTRS = {
    "upstreamcluster": "upstream_cluster", "routename": "route_name",
    "responsecodedetails": "response_code_details",
    "connectionterminationdetails": "connection_termination_details",
    "upstreamtransportfailurereason": "upstream_transport_failure_reason",
    "requestedservername": "requested_server_name",
    "downstreamlocaladdress": "downstream_local_address",
    "downstreamremoteaddress": "downstream_remote_address",
    "upstreamlocaladdress": "upstream_local_address",
    "protocol": "protocol", "bytesreceived": "bytes_received", "bytessent": "bytes_sent",
}
_ENVOY_MARKERS = {"starttime", "responsecode", "responseflags", "upstreamhost",
                  "upstreamcluster", "upstreamservicetime", "downstreamremoteaddress",
                  "bytesreceived", "bytessent", "responsecodedetails", "xenvoyupstreamservicetime"}
_KEY_TRANSLATION = str.maketrans("", "", "_-:")


def _fold(obj: dict[str, Any]) -> dict[str, Any]:
    return {key.lower().translate(_KEY_TRANSLATION): value for key, value in obj.items()}


def _pick(folded: dict[str, Any], field: str) -> Any:
    for key in _JSON_KEYS[field]:
        value = folded.get(key)
        if value not in (None, "", "-"):
            return value
    return None


def _text(folded: dict[str, Any], field: str) -> str | None:
    """A string field; numbers are spelled out, objects and lists are not text."""
    return as_text(_pick(folded, field))


def convert_json(obj: dict[str, Any]) -> dict[str, Any] | None:
    """An Envoy JSON access-log object -> event; None if it has no Envoy keys."""
    folded = _fold(obj)
    if len(_ENVOY_MARKERS.intersection(folded)) < 2:
        return None
    method, path = _text(folded, "method"), _text(folded, "path")
    status = to_int(_pick(folded, "status"))
    flags = _text(folded, "flags")
    details = _text(folded, "details")
    upstream_host = _text(folded, "upstream_host")
    xff = _text(folded, "xff")
    client = xff.split(",", 1)[0].strip() if xff else strip_port(_text(folded, "downstream"))
    attrs = {name: folded[key] for key, name in _JSON_ATTRS.items()
             if _clean(folded.get(key)) is not None}
    tcp = method is None and path is None and "protocol" not in attrs
    if tcp:
        attrs["proxy_type"] = "tcp"
    authority = _text(folded, "authority")
    if authority:
        attrs["authority"] = authority
    if xff:
        attrs["x_forwarded_for"] = xff
    event: dict[str, Any] = {
        "ts": parse_any(_pick(folded, "ts")),
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": to_float(_pick(folded, "duration")),
        "upstream_latency_ms": to_float(_pick(folded, "ust")),
        "upstream_host": upstream_host,
        "request_id": _text(folded, "request_id"),
        "trace_id": _text(folded, "trace_id"),
        "client_ip": client,
        "user_agent": _text(folded, "user_agent"),
        "level": _text(folded, "level"),
        "error": flags,
        "message": access_message(method, path, status, flags, details, upstream_host, tcp),
    }
    if attrs:
        event["attrs"] = attrs
    return event


def _wrapped_line(obj: dict[str, Any]) -> str | None:
    """The text access line inside a Docker/Filebeat wrapper (``message`` or ``log``)."""
    for key in ("message", "log"):
        value = obj.get(key)
        if isinstance(value, str) and (value.startswith("[") or value.startswith("ACCESS [")):
            return value.rstrip("\n")
    return None


def _kubernetes_attrs(obj: dict[str, Any], event: dict[str, Any]) -> None:
    kube = obj.get("kubernetes")
    if not isinstance(kube, dict):
        return
    attrs = event.setdefault("attrs", {})
    for key in ("pod", "namespace", "container", "node"):
        value = kube.get(key)
        name = value.get("name") if isinstance(value, dict) else value
        if isinstance(name, str):
            attrs[f"k8s_{key}"] = name
    container = kube.get("container")
    if isinstance(container, dict) and isinstance(container.get("name"), str):
        event["service"] = container["name"]


class EnvoyJsonIngestor(JsonLineIngestor):
    """Envoy JSON access logs (Istio keys), and Docker-wrapped Envoy text lines."""

    name = "envoy-json"
    layer = Layer.INGRESS
    description = "Envoy / Istio JSON access log, or Envoy text lines in Docker JSON records"

    def sniff(self, head: Head) -> float:
        """0.95 x the share of objects with 3+ Envoy keys, 0.97 x of wrapped access lines."""
        objects = head.json_objects[:20]
        if not objects or len(objects) < len(head.lines[:20]) / 2:
            return 0.0
        native = wrapped = 0
        for obj in objects:
            line = _wrapped_line(obj)
            if line is not None and _ACCESS.match(line):
                wrapped += 1
            elif len(_ENVOY_MARKERS.intersection(_fold(obj))) >= 3:
                native += 1
        # Wrapped lines must beat the generic Docker/JSON-lines unwrappers.
        return max(0.95 * native, 0.97 * wrapped) / len(objects)

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """A native JSON access record, or the text line a wrapper record carries."""
        line = _wrapped_line(obj)
        if line is not None:
            event = parse_text_line(line)
            if event is None:
                return None
            if event.get("ts") is None:
                event["ts"] = parse_any(obj.get("time") or obj.get("@timestamp"))
            _kubernetes_attrs(obj, event)
            return event
        return convert_json(obj)
