"""One message -> the token key the miner groups by.

A key is the message's whitespace-separated tokens after masking, where a
token that still holds a digit becomes ``<*>`` (keeping a ``name=`` or
``name:`` prefix), ``key=value`` values and booleans are variables, a unit
after a number joins it ("451 bytes"), and a run of variables collapses to one
``<*>`` (so lists of any length match). The key depends on the message alone,
never on other messages.
"""
from __future__ import annotations

import re

from triage.mine.masking import VARIABLE, mask_spanning, strip_ansi

Key = tuple[str, ...]

# Past this many tokens the rest of a line is one variable: the miner's work
# per new key grows with the square of its length, and one 1 MB line must not
# stall a stream.
MAX_KEY_TOKENS = 200

_KEY_VALUE = re.compile(r"(?<=[\w\]]=)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;)\]}&\"']+)")
_BOOLEAN = re.compile(r"\b(?:true|false|True|False|TRUE|FALSE)\b")
# "()" and "[]" standing alone are a value that happened to be empty this time.
_EMPTY_BRACKETS = re.compile(r"(?<!\S)(?:\(\)|\[\])(?!\S)")
_VARIABLE_HINT = re.compile(r"\d|<\*>")
_NAMED = re.compile(r"[A-Za-z_][A-Za-z_.,-]*[=:](?=\S)")
_HOST_PORT = re.compile(r"[A-Za-z][\w-]*(?:\.[\w-]+)+:\d{1,5}\W?$|[a-z][a-z0-9-]*:\d{2,5}$")
# A unit after a number belongs to the value: "451 bytes", "6 ms", "5.2 KB,".
_UNITS = frozenset("bytes byte B KB MB GB TB KiB MiB GiB ms msec msecs us µs ns s sec secs "
                   "second seconds min mins minute minutes h".split())
_PIECE = re.compile(r"[^=:,()\[\]{}|\"']+|.")


def _empty_to_variable(match: re.Match[str]) -> str:
    brackets = match.group(0)
    return brackets[0] + VARIABLE + brackets[1]


def _mask_token(token: str) -> str:
    """``token`` itself, ``name=<*>``/``name:<*>``, or ``<*>``."""
    if token.isalpha() or not _VARIABLE_HINT.search(token):
        return token
    named = _NAMED.match(token)
    if named is None or _HOST_PORT.match(token):
        return VARIABLE
    return named.group(0) + VARIABLE


def _mask_pieces(token: str) -> str:
    """Mask inside a token, keeping the words between its punctuation."""
    out: list[str] = []
    for piece in _PIECE.findall(token):
        if _VARIABLE_HINT.search(piece):
            if out and out[-1] == VARIABLE:
                continue
            piece = VARIABLE
        out.append(piece)
    return "".join(out)


def _prepare(message: str) -> str:
    text = strip_ansi(message) if "\x1b" in message else message
    text = mask_spanning(text)
    if "=" in text:
        text = _KEY_VALUE.sub(VARIABLE, text)
    if "rue" in text or "alse" in text or "RUE" in text or "ALSE" in text:
        text = _BOOLEAN.sub(VARIABLE, text)
    if "()" in text or "[]" in text:
        text = _EMPTY_BRACKETS.sub(_empty_to_variable, text)
    return text


def message_key(message: str) -> Key:
    """The masked token key of one log message (an empty tuple for a blank one)."""
    key = _masked_tokens(_prepare(message))
    if len(key) > MAX_KEY_TOKENS:
        head = key[:MAX_KEY_TOKENS - 1]
        return head if head[-1] == VARIABLE else head + (VARIABLE,)
    return key


def _masked_tokens(text: str) -> Key:
    key: list[str] = []
    previous = ""
    for token in text.split():
        token = _mask_token(token)
        if previous == VARIABLE and (token == VARIABLE or token.rstrip(",;.)") in _UNITS):
            continue
        key.append(token)
        previous = token
    if key and all(token == VARIABLE for token in key):
        # Nothing constant is left: keep the words inside the tokens instead,
        # so "setLightsOn(true)" and "setDataSource(1, 2)" stay apart.
        pieces = [_mask_pieces(token) for token in text.split()]
        return tuple(p for i, p in enumerate(pieces)
                     if not (p == VARIABLE and i and pieces[i - 1] == VARIABLE))
    return tuple(key)


def key_text(key: Key) -> str:
    """A key as template text: its tokens joined by single spaces."""
    return " ".join(key)
