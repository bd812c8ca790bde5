"""Masks for the variable parts of a log or failure message.

``mask_text`` replaces timestamps, URLs' variable parts, UUIDs, hex values, IP
addresses, e-mail addresses, file paths, host:port, sizes, durations and
numbers with ``<*>``;
``mask_quoted`` also replaces quoted values (used for failure signatures, where
a quoted value is almost always data). ``normalise_stack`` collapses the parts
of a stack trace that change between runs of the same failure.
"""
from __future__ import annotations

import re

VARIABLE = "<*>"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"

# Each mask: a cheap test that must pass before the regex runs (most lines
# have no URL, e-mail or path, and regexes are what a miner spends its time
# on), then the regex. Order matters: wide shapes (timestamps, URLs, UUIDs)
# go before the pieces they contain (numbers, hex), so a timestamp becomes one
# <*> and not five.
_TIMESTAMP = re.compile(
    # ISO 8601 / RFC 3339 and "2026-11-20 10:00:01,250" style date-times.
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?"
    # RFC 2822 "Thu, 20 Nov 2026 10:00:01 GMT".
    rf"|\b{_WEEKDAY},? \d{{1,2}} {_MONTH} \d{{4}} \d{{2}}:\d{{2}}:\d{{2}}(?: (?:GMT|UTC|[+-]\d{{4}}))?"
    # Syslog and ctime "Nov 20 10:00:01", "Fri Jun 17 07:07:00 2005".
    rf"|\b(?:{_WEEKDAY} )?{_MONTH} {{1,2}}\d{{1,2}} \d{{2}}:\d{{2}}:\d{{2}}(?: \d{{4}})?\b"
    # Clock times on their own: 10:00:01, 10:00:01.250.
    r"|(?<![\w:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])")
# URLs: keep scheme and path words, mask host and port, query and fragment.
_URL_HOST = re.compile(r"(?<=://)[^\s/'\"?#<>]+")
_QUERY = re.compile(r"(?<=[\w/]\?)[^\s'\"<>]+")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# IPv6 (at least three groups) and IPv4 with an optional port.
_IPV6 = re.compile(r"(?<![\w:])(?=[0-9a-fA-F:]*\d)(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}(?:%\w+)?(?![\w:])")
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])")
_HEX = re.compile(r"\b0[xX][0-9a-fA-F]+\b|\b(?=[a-fA-F]*\d)(?=\d*[a-fA-F])[0-9a-fA-F]{12,}\b")
# Absolute file paths of two or more segments.
_PATH = re.compile(r"(?<![\w:/<>])/(?:[\w.@~+-]+/)+[\w.@~+-]*")
# Host names with a port: api.example.com:443, and a bare "wpad:80" token.
_HOST_PORT = re.compile(r"(?<![\w.-])[A-Za-z][\w-]*(?:\.[\w-]+)+:\d{1,5}(?![\w.:])"
                        r"|(?<!\S)[a-z][a-z0-9-]*:\d{2,5}(?!\S)")
# Sizes ("1190 bytes (1.16 KB)" as one value) and durations ("6 ms", "<1 sec").
_QUANTITY = re.compile(r"<?\b\d+(?:\.\d+)?\s?(?:bytes|[KMGTP]i?B|B|ms|msecs?|us|µs|ns|s|secs?|seconds"
                       r"|min|m|h)\b(?: \(\d+(?:\.\d+)? [KMGTP]i?B\))?")
_NUMBER = re.compile(r"(?<![\w.<])[-+]?\d+(?:\.\d+)*(?![\w.>])")
_RUNS = re.compile(r"(?:<\*>){2,}")


_CLOCK_HINT = re.compile(r"\d:\d\d")


def _has_clock(text: str) -> bool:
    return ":" in text and _CLOCK_HINT.search(text) is not None


def _has_colon(text: str) -> bool:
    return ":" in text


def _always(text: str) -> bool:
    return True


# The masks ``message_key`` runs on the text: shapes that span tokens or hide
# a variable inside a token that keeps words. Its token rule does the rest
# (a token still holding a digit becomes <*> whole, covering numbers, hex,
# UUIDs, IP addresses and host:port; a unit after a number joins it).
_SPANNING_MASKS: tuple[tuple[str, object, re.Pattern[str]], ...] = (
    ("timestamp", _has_clock, _TIMESTAMP),
    ("url", lambda text: "://" in text, _URL_HOST),
    ("query", lambda text: "?" in text, _QUERY),
    ("email", lambda text: "@" in text, _EMAIL),
    ("path", lambda text: "/" in text, _PATH),
)
_ALL_MASKS: tuple[tuple[str, object, re.Pattern[str]], ...] = _SPANNING_MASKS[:2] + (
    ("uuid", lambda text: "-" in text, _UUID),
    ("ipv6", _has_colon, _IPV6),
    ("ipv4", lambda text: "." in text, _IPV4),
    ("hex", _always, _HEX),
) + _SPANNING_MASKS[2:] + (
    ("host-port", _has_colon, _HOST_PORT),
    ("quantity", _always, _QUANTITY),
    ("number", _always, _NUMBER),
)

MASK_KINDS = tuple(name for name, _, _ in _ALL_MASKS)


def _apply(masks: tuple[tuple[str, object, re.Pattern[str]], ...], text: str) -> str:
    for _, worth_trying, pattern in masks:
        if worth_trying(text):  # type: ignore[operator]
            text = pattern.sub(VARIABLE, text)
    return _RUNS.sub(VARIABLE, text) if "<*><*>" in text else text


_QUOTED = re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes."""
    return _ANSI.sub("", text)


def mask_text(text: str) -> str:
    """``text`` with every variable kind in ``MASK_KINDS`` replaced by ``<*>``."""
    return _apply(_ALL_MASKS, text)


def mask_spanning(text: str) -> str:
    """``text`` with timestamps, URLs' hosts and queries, e-mail addresses and
    paths replaced by ``<*>``: what the miner needs before its token rule."""
    return _apply(_SPANNING_MASKS, text)


def mask_quoted(text: str) -> str:
    """``text`` with single-, double- and back-quoted values as ``<*>``."""
    return _QUOTED.sub(VARIABLE, text)


_DOLLAR_NUMBER = re.compile(r"\$\d+")
_AT_HASH = re.compile(r"@[0-9a-fA-F]{4,}\b")
_LAMBDA = re.compile(r"\$\$Lambda(?:\$\d+)?(?:/0x[0-9a-fA-F]+)?(?:/\d+)?")
_ENHANCER = re.compile(r"\$\$(?:EnhancerBy|FastClassBy|SpringCGLIB|\$?ByteBuddy)\w*(?:\$\$[0-9a-fA-F]+)*")
_LINE_NUMBER = re.compile(r"(\.[A-Za-z]{1,6}):\d+(?::\d+)?(?=\)|$|\s|,)")
_MORE = re.compile(r"^\s*\.\.\. \d+ (?:more|common frames omitted)\s*$")
_GENERATED_FRAME = re.compile(
    r"GeneratedMethodAccessor\d*|GeneratedConstructorAccessor|GeneratedSerializationConstructorAccessor"
    r"|jdk\.internal\.reflect\.|sun\.reflect\.|java\.lang\.reflect\.Method\.invoke"
    r"|\(<generated>\)|\$Proxy\d+|node:internal/|\(internal/"
)


def normalise_stack(stack: str) -> list[str]:
    """The frames of a stack trace that identify a failure, in order.

    Collapses anonymous-class suffixes (``Foo$1`` -> ``Foo``), object hashes
    (``@1a2b3c``), lambda and proxy class names; drops ``... N more`` lines and
    generated or reflective frames; masks line numbers (``Cart.java:<*>``) and
    then the rest with ``mask_text``.
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
        line = _LINE_NUMBER.sub(r"\1:<*>", line)
        frames.append(mask_text(line))
    return frames
