"""Secrets never reach a report: every string a report shows passes through here.

Redactions read ``[REDACTED:kind]`` so evidence stays readable: which header,
which kind of key, but never the value.
"""
from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any

_KEY_WORDS = (r"password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
              r"private[_-]?key|client[_-]?secret|session[_-]?id|credentials?")

PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
     "[REDACTED:private-key]"),
    ("authorization", re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(bearer|basic|token|digest|negotiate)\s+)?[^\s\"',;]+"),
     r"\1\2 [REDACTED:authorization]"),
    ("cookie", re.compile(r"(?i)\b((?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+"), r"\1[REDACTED:cookie]"),
    ("bearer", re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [REDACTED:bearer]"),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED:jwt]"),
    ("url-password", re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), r"\1[REDACTED:password]@"),
    ("aws-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "[REDACTED:aws-key]"),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), "[REDACTED:github-token]"),
    ("slack-token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "[REDACTED:slack-token]"),
    ("stripe-key", re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"), "[REDACTED:stripe-key]"),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "[REDACTED:google-api-key]"),
    ("secret", re.compile(rf"(?i)(\b([\w.-]*(?:{_KEY_WORDS})[\w.-]*)[\"']?\s*[=:]\s*[\"']?)(?!\[REDACTED)[^\s&,;\"'}}]+"),
     None),
)
# OAuth error codes and the like name a secret without holding one.
_NOT_SECRET_KEYS = re.compile(r"(?i)^(invalid|expired|missing|bad|revoked|no|unknown)[_-]|_(type|expired|expiry|count)$")


def _secret(match: re.Match[str]) -> str:
    if _NOT_SECRET_KEYS.search(match.group(2)):
        return match.group(0)
    return match.group(1) + "[REDACTED:secret]"


def redact(text: str) -> str:
    """``text`` with every recognised secret replaced by ``[REDACTED:kind]``."""
    if not text:
        return text
    for _, pattern, replacement in PATTERNS:
        text = pattern.sub(replacement if replacement is not None else _secret, text)
    return text


def redact_value(value: Any) -> Any:
    """Redact strings anywhere inside dataclasses, dicts and lists (returns copies)."""
    if isinstance(value, enum.Enum):
        return value  # closed sets (categories, statuses) carry no secrets
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: redact_value(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if f.init}
        return dataclasses.replace(value, **changes)
    return value
