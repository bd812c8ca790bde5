"""Timestamp parsers. All return float seconds since the epoch, UTC, or None.

Access logs repeat the same second thousands of times, so the slower formats
are cached on the string.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

# Timestamps outside this range are treated as garbage rather than data.
_MIN_TS = 0.0                 # 1970-01-01
_MAX_TS = 4102444800.0        # 2100-01-01

_FRACTION_RE = re.compile(r"([.,])(\d+)")
_TZ_RE = re.compile(r"(?:Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2}| ?UTC| ?GMT)$")


def _in_range(ts: float) -> float | None:
    return ts if _MIN_TS <= ts < _MAX_TS else None


@lru_cache(maxsize=65536)
def _iso_cached(prefix: str, tz: str) -> float | None:
    try:
        dt = datetime.fromisoformat(prefix + tz)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def parse_iso(value: str) -> float | None:
    """ISO 8601 / RFC 3339 with any fraction length (nanoseconds too) and zone.

    A value without a zone is taken as UTC. ``2018-05-17T08:19:35,939`` (comma
    fraction) and a space instead of ``T`` are accepted.
    """
    if not value or len(value) < 10:
        return None
    s = value.strip()
    tz = ""
    m = _TZ_RE.search(s)
    if m:
        tz = m.group(0).strip()
        s = s[: m.start()]
        if tz in ("Z", "z", "UTC", "GMT"):
            tz = "+00:00"
        elif len(tz) == 5:  # +0100
            tz = tz[:3] + ":" + tz[3:]
        elif len(tz) == 3:  # +01
            tz = tz + ":00"
    frac = 0.0
    fm = _FRACTION_RE.search(s, 16)
    if fm and fm.end() == len(s):
        digits = fm.group(2)
        frac = int(digits) / (10 ** len(digits))
        s = s[: fm.start()]
    base = _iso_cached(s, tz)
    if base is None:
        return None
    return _in_range(base + frac)


@lru_cache(maxsize=65536)
def parse_clf(value: str) -> float | None:
    """Common Log Format time: ``10/Oct/2000:13:55:36 -0700`` (fraction allowed)."""
    try:
        day = int(value[0:2])
        month = _MONTHS[value[3:6].lower()]
        year = int(value[7:11])
        hour, minute = int(value[12:14]), int(value[15:17])
        second = int(value[18:20])
        rest = value[20:]
        frac = 0.0
        if rest.startswith("."):
            digits = rest[1:].split(" ", 1)[0]
            frac = int(digits) / (10 ** len(digits))
            rest = rest[1 + len(digits):]
        rest = rest.strip()
        offset = timedelta(0)
        if rest:
            sign = -1 if rest[0] == "-" else 1
            offset = sign * timedelta(hours=int(rest[1:3]), minutes=int(rest[3:5]))
        dt = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except (KeyError, ValueError, IndexError):
        return None
    return _in_range(dt.timestamp() + frac)


def parse_epoch(value: float | int | str) -> float | None:
    """Epoch in s, ms, us or ns, told apart by magnitude."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    magnitude = abs(number)
    if magnitude > 1e17:
        number /= 1e9
    elif magnitude > 1e14:
        number /= 1e6
    elif magnitude > 1e11:
        number /= 1e3
    return _in_range(number)


def parse_any(value: object) -> float | None:
    """Best effort for a field of unknown shape: number, ISO 8601 or CLF."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return parse_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text[0].isdigit():
        if len(text) >= 10 and text[4] == "-":
            return parse_iso(text)
        if len(text) >= 20 and text[2] == "/":
            return parse_clf(text)
        try:
            return parse_epoch(float(text))
        except ValueError:
            return None
    return None


def to_iso(ts: float | None) -> str | None:
    """Epoch seconds -> ``2026-11-20T10:00:01.250Z`` (millisecond precision)."""
    if ts is None or ts != ts:
        return None
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
