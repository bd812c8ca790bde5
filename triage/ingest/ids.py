"""Request-id and trace-id spellings, normalised so layers can be joined.

- ingress-nginx ``$req_id``: 32 lowercase hex
- Envoy ``x-request-id``: a UUID (dashes)
- W3C ``traceparent``: ``00-<32 hex trace id>-<16 hex span id>-<2 hex flags>``
- AWS X-Ray ``X-Amzn-Trace-Id``: ``Root=1-<8 hex epoch>-<24 hex>;Parent=...``
- OpenStack/oslo: ``req-<uuid>``
- ECS ``trace.id`` / OTLP ``traceId``: 32 hex, any case

A UUID and its 32-hex spelling are the same id: dashes are dropped and hex is
lower-cased. Other ids (API Gateway's base64 ``GQIVriFLIAMEMsA=``) are kept as
written, minus surrounding whitespace.
"""
from __future__ import annotations

import re

_HEX_OR_DASH = re.compile(r"^[0-9a-fA-F-]+$")
_TRACEPARENT = re.compile(
    r"^\s*([0-9a-fA-F]{2})-([0-9a-fA-F]{32})-([0-9a-fA-F]{16})-([0-9a-fA-F]{2})\s*$")
_XRAY_ROOT = re.compile(r"Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})")
_EMPTY = {"", "-", "null", "none", "nil", "unknown", "unknownid", "00000000000000000000000000000000"}
# Already canonical (most ids as written): returned without the general steps.
_CANONICAL_REQUEST_ID = re.compile(r"[0-9a-f]{16}(?:[0-9a-f]{16})?")
_CANONICAL_TRACE_ID = re.compile(r"[0-9a-f]{32}")
# The next most common spellings, as tracers and proxies write them: a lower-case
# UUID, and a lower-case W3C traceparent (group 1: the trace id).
_LOWER_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LOWER_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")

# Ids as they appear inside free text (test output, log messages).
ID_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:req-)?"
    r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32}"
    r"|00-[0-9a-fA-F]{32}-[0-9a-fA-F]{16}-[0-9a-fA-F]{2})(?![0-9A-Za-z])"
)


def normalize_request_id(raw: str | None) -> str | None:
    """Canonical form of a request id, or None for empty placeholders."""
    if raw is None:
        return None
    if type(raw) is str:
        if _CANONICAL_REQUEST_ID.fullmatch(raw) and raw.strip("0"):
            return raw
        if _LOWER_UUID.fullmatch(raw):
            compact = raw.replace("-", "")
            return compact if compact.strip("0") else None
    value = str(raw).strip().strip('"')
    if value.lower() in _EMPTY:
        return None
    if value.startswith("req-"):
        value = value[4:]
    parent = _TRACEPARENT.match(value)
    if parent:
        return parent.group(2).lower()
    if _HEX_OR_DASH.match(value):
        compact = value.replace("-", "")
        if len(compact) in (16, 32):
            return compact.lower() if compact.strip("0") else None
    return value


def normalize_trace_id(raw: str | None) -> str | None:
    """Canonical 32-hex trace id from a bare id, a traceparent or an X-Ray header."""
    if raw is None:
        return None
    if type(raw) is str:
        if _CANONICAL_TRACE_ID.fullmatch(raw) and raw.strip("0"):
            return raw
        if parent := _LOWER_TRACEPARENT.fullmatch(raw):
            return parent.group(1)
    value = str(raw).strip().strip('"')
    if value.lower() in _EMPTY:
        return None
    parent = _TRACEPARENT.match(value)
    if parent:
        return parent.group(2).lower()
    xray = _XRAY_ROOT.search(value)
    if xray:
        return (xray.group(1) + xray.group(2)).lower()
    compact = value.replace("-", "")
    if _HEX_OR_DASH.match(value) and len(compact) in (16, 32) and compact.strip("0"):
        return compact.lower().rjust(32, "0")
    return value


def parse_traceparent(raw: str | None) -> tuple[str, str] | None:
    """``(trace_id, span_id)`` from a W3C traceparent, or None."""
    if not raw:
        return None
    match = _TRACEPARENT.match(raw)
    if not match or match.group(1).lower() == "ff":
        return None
    return match.group(2).lower(), match.group(3).lower()


def ids_in_text(text: str) -> set[str]:
    """Every request/trace id spelled out in free text, normalised."""
    found: set[str] = set()
    for match in ID_IN_TEXT.finditer(text or ""):
        normalised = normalize_request_id(match.group(1))
        if normalised:
            found.add(normalised)
    return found
