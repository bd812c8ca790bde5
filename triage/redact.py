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
    # The body lines of a key whose BEGIN line was logged apart from them (a
    # multi-line message split into an event and its continuation lines).
    ("private-key", re.compile(r"(?m)^[ \t]*[A-Za-z0-9+/]{60,}={0,2}[ \t]*$"), "[REDACTED:private-key]"),
    ("authorization", re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(bearer|basic|token|digest|negotiate)\s+)?[^\s\"',;]+"),
     r"\1\2 [REDACTED:authorization]"),
    ("cookie", re.compile(r"(?i)\b((?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+"), r"\1[REDACTED:cookie]"),
    ("bearer", re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [REDACTED:bearer]"),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED:jwt]"),
    ("url-password", re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), r"\1[REDACTED:password]@"),
    ("aws-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "[REDACTED:aws-key]"),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
     "[REDACTED:github-token]"),
    ("slack-token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "[REDACTED:slack-token]"),
    ("slack-webhook", re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+"),
     r"\1[REDACTED:slack-webhook]"),
    ("stripe-key", re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"), "[REDACTED:stripe-key]"),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), "[REDACTED:google-api-key]"),
    # Environment-style names ending in _KEY (SIGNING_KEY=...); lower-case "key=" is
    # too common in ordinary evidence (cache keys) to redact.
    ("env-key", re.compile(r"(\b[A-Z][A-Z0-9_]*_KEYS?[\"']?\s*[=:]\s*[\"']?)(?!\[REDACTED)[^\s&,;\"'}]+"),
     r"\1[REDACTED:secret]"),
    ("secret", re.compile(rf"(?i)(\b([\w.-]*(?:{_KEY_WORDS})[\w.-]*)[\"']?\s*[=:]\s*[\"']?)(?!\[REDACTED)[^\s&,;\"'}}]+"),
     None),
)
# OAuth error codes and the like name a secret without holding one.
# A reference (secret-ref, secretKeyRef) names where a secret lives, not its value.
_NOT_SECRET_KEYS = re.compile(r"(?i)^(invalid|expired|missing|bad|revoked|no|unknown)[_-]"
                              r"|[_-](type|expired|expiry|count|refs?)$|keyrefs?$")


def _secret(match: re.Match[str]) -> str:
    if _NOT_SECRET_KEYS.search(match.group(2)):
        return match.group(0)
    return match.group(1) + "[REDACTED:secret]"


_SECRET_NAME = re.compile(rf"(?i)(?:{_KEY_WORDS})|^x-api-key$")
_ENV_KEY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_KEYS?$")
_HEADER_KINDS = {"authorization": "authorization", "proxy-authorization": "authorization",
                 "cookie": "cookie", "set-cookie": "cookie"}


def secret_name_kind(name: str) -> str | None:
    """The redaction kind for a value stored under ``name`` (a header, field or
    env var name), or None when the name does not say it holds a secret."""
    lowered = name.strip().lower()
    if lowered in _HEADER_KINDS:
        return _HEADER_KINDS[lowered]
    stripped = name.strip()
    if (_SECRET_NAME.search(stripped) or _ENV_KEY_NAME.match(stripped)) and not _NOT_SECRET_KEYS.search(stripped):
        return "secret"
    return None


def _redact_mapping(mapping: dict[Any, Any]) -> dict[Any, Any]:
    """Values under secret names are replaced whole; the rest is redacted as text.
    A Kubernetes ``{name: DB_PASSWORD, value: ...}`` env entry counts as named."""
    named = mapping.get("name") if isinstance(mapping.get("name"), str) and "value" in mapping else None
    named_kind = secret_name_kind(named) if named else None
    out = {}
    for key, value in mapping.items():
        kind = named_kind if key == "value" else (secret_name_kind(key) if isinstance(key, str) else None)
        shown_key = redact(key) if isinstance(key, str) else key  # keys can hold secrets too
        # A number with a fraction (a score, a confidence) is never a credential; a
        # whole number can be a PIN.
        if kind is not None and isinstance(value, (str, int)) and not isinstance(value, bool) \
                and value not in ("", None):
            out[shown_key] = f"[REDACTED:{kind}]"
        else:
            out[shown_key] = redact_value(value)
    return out


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
        return _redact_mapping(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: redact_value(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if f.init}
        return dataclasses.replace(value, **changes)
    return value


def redact_frame(frame: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of an events DataFrame (``triage.load_build(...).events``) with its
    text columns and ``attrs`` redacted, for a notebook or anything shared.
    Each distinct text is redacted once; column types are kept."""
    import pandas as pd

    copy = frame.copy()
    for column in copy.columns:
        series = copy[column]
        if column == "attrs":
            copy[column] = series.map(lambda v: redact_value(v) if isinstance(v, dict) else v)
        elif isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(series.dtype):
            mapping = {v: redact(v) for v in series.dropna().unique() if isinstance(v, str)}
            values = [mapping.get(v, v) if isinstance(v, str) else v for v in series]
            categorical = isinstance(series.dtype, pd.CategoricalDtype)
            copy[column] = pd.Series(values, index=series.index, dtype=object).astype(
                "category" if categorical else series.dtype)
    return copy
