"""Masks for the variable parts of a log or failure message.

``mask_text`` replaces timestamps, URLs' variable parts, UUIDs, hex values, IP
addresses, e-mail addresses, file paths, durations and numbers with ``<*>``;
``mask_quoted`` also replaces quoted values (used for failure signatures, where
a quoted value is almost always data). ``normalise_stack`` collapses the parts
of a stack trace that change between runs of the same failure.
"""
from __future__ import annotations

import re

VARIABLE = "<*>"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# Order matters: wide shapes (timestamps, URLs, UUIDs) go before the pieces
# they contain (numbers, hex), so a timestamp becomes one <*> and not five.
_TEXT_MASKS: tuple[re.Pattern[str], ...] = (
    # ISO 8601 / RFC 3339 and "2026-11-20 10:00:01,250" style date-times.
    re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
               r"(?:Z|[+-]\d{2}:?\d{2}\b)?"),
    # Syslog / RFC 2822 style "Nov 20 10:00:01" and "Thu, 20 Nov 2026 10:00:01 GMT".
    re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
               r"|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2}(?: (?:GMT|UTC|[+-]\d{4}))?"),
    re.compile(r"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov"
               r"|Dec) {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?: \d{4})?\b"),
    # Clock times on their own: 10:00:01, 10:00:01.250.
    re.compile(r"(?<![\w:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])"),
    # URLs: keep scheme and path words, mask host, port, query and fragment.
    re.compile(r"(?<=://)[^\s/'\"?#<>]+"),
    re.compile(r"(?<=[\w/])\?[^\s'\"<>]*"),
    re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    # IPv6 (at least three groups with two colons) and IPv4 with optional port.
    re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}(?:%\w+)?(?![\w:])"),
    re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])"),
    re.compile(r"\b0[xX][0-9a-fA-F]+\b"),
    # Absolute file paths of two or more segments.
    re.compile(r"(?<![\w:/<])/(?:[\w.@~+-]+/)+[\w.@~+-]*"),
    # Host names with a port: api.example.com:443.
    re.compile(r"\b[\w-]+(?:\.[\w-]+)+:\d{1,5}\b|(?<!\S)[a-z][a-z0-9-]*:\d{2,5}(?!\S)"),
    # Sizes, "1190 bytes (1.16 KB)" as one value, and durations.
    re.compile(r"<?\b\d+(?:\.\d+)?\s?(?:bytes|[KMGTP]i?B|B)\b(?: \(\d+(?:\.\d+)? [KMGTP]i?B\))?"),
    re.compile(r"<?\b\d+(?:\.\d+)?\s?(?:ms|msecs?|us|µs|ns|s|sec|secs|seconds|min|m|h)\b"),
)

_QUOTED = re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes."""
    return _ANSI.sub("", text)


def mask_text(text: str) -> str:
    """``text`` with every structured variable (see module docstring) as ``<*>``."""
    for pattern in _TEXT_MASKS:
        text = pattern.sub(VARIABLE, text)
    return text


def mask_quoted(text: str) -> str:
    """``text`` with single-, double- and back-quoted values as ``<*>``."""
    return _QUOTED.sub(VARIABLE, text)


_DOLLAR_NUMBER = re.compile(r"\$\d+")
_AT_HASH = re.compile(r"@[0-9a-fA-F]{4,}\b")
_LAMBDA = re.compile(r"\$\$Lambda(?:\$\d+)?(?:/0x[0-9a-fA-F]+)?(?:/\d+)?")
_ENHANCER = re.compile(r"\$\$(?:EnhancerBy|FastClassBy|SpringCGLIB|\$?ByteBuddy)\w*(?:\$\$[0-9a-fA-F]+)*")
_MORE = re.compile(r"^\s*\.\.\. \d+ (?:more|common frames omitted)\s*$")
_GENERATED_FRAME = re.compile(
    r"GeneratedMethodAccessor\d*|GeneratedConstructorAccessor|GeneratedSerializationConstructorAccessor"
    r"|jdk\.internal\.reflect\.|sun\.reflect\.|java\.lang\.reflect\.Method\.invoke"
    r"|\(<generated>\)|\$Proxy\d+|node:internal/|\(internal/|<anonymous>"
)


def normalise_stack(stack: str) -> list[str]:
    """The frames of a stack trace that identify a failure, in order.

    Collapses anonymous-class suffixes (``Foo$1`` -> ``Foo``), object hashes
    (``@1a2b3c``), lambda and proxy class names; drops ``... N more`` lines and
    generated or reflective frames; masks the rest with ``mask_text``.
    """
    frames: list[str] = []
    for raw in strip_ansi(stack).splitlines():
        line = raw.strip()
        if not line or _MORE.match(line) or _GENERATED_FRAME.search(line):
            continue
        line = _LAMBDA.sub("", line)
        line = _ENHANCER.sub("", line)
        line = _DOLLAR_NUMBER.sub("", line)
        line = _AT_HASH.sub("", line)
        frames.append(mask_text(line))
    return frames
