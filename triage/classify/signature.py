"""A stable id for a failure's normalised message.

Variable parts (ids, numbers, hex, quoted values, URLs' hosts and queries,
timestamps, durations) are masked so the same failure in another build or on
another request gets the same signature.
"""
from __future__ import annotations

import hashlib
import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<TS>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<ID>"),
    (re.compile(r"\b[0-9a-fA-F]{16,}\b"), "<ID>"),
    (re.compile(r"https?://[^\s'\"/]+"), "<URL>"),
    (re.compile(r"\?[^\s'\"]*"), "?<Q>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<IP>"),
    (re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\""), "<STR>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s*(?:ms|s|us|µs|ns|m|h)\b"), "<DUR>"),
    (re.compile(r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])"), "<NUM>"),
)


def normalise(message: str) -> str:
    """The first meaningful line of ``message`` with variable parts masked."""
    text = _ANSI.sub("", message or "").strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    for pattern, token in _MASKS:
        first = pattern.sub(token, first)
    return re.sub(r"\s+", " ", first)[:500]


def signature(message: str, failure_type: str = "") -> str:
    """``sig-`` plus 12 hex digits, stable across builds for the same failure."""
    basis = f"{failure_type}|{normalise(message)}"
    return "sig-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]
