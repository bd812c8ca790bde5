"""One message -> the token key the miner groups by.

A key is the message's whitespace-separated tokens after masking, where a
token that still holds a digit becomes ``<*>`` (keeping a ``name=`` or
``name:`` prefix), ``key=value`` values and booleans are variables, and a run
of variables collapses to one ``<*>`` (so lists of any length match). The key
depends on the message alone, never on other messages.
"""
from __future__ import annotations

import re

from triage.mine.masking import VARIABLE, mask_text, strip_ansi

Key = tuple[str, ...]

_KEY_VALUE = re.compile(r"(?<=[\w\]]=)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;)\]}&\"']+)")
_BOOLEAN = re.compile(r"\b(?:true|false|True|False|TRUE|FALSE)\b")
# "()" and "[]" standing alone are a value that happened to be empty this time.
_EMPTY_BRACKETS = re.compile(r"(?<=\s)(?:\(\)|\[\])(?=\s|$)")
_VARIABLE_HINT = re.compile(r"\d|<\*>")
_NAMED_VALUE = re.compile(r"^([A-Za-z_][\w.,-]*[=:])(.+)$")
_PIECE = re.compile(r"[^=:,()\[\]{}|\"']+|.")


def _empty_to_variable(match: re.Match[str]) -> str:
    brackets = match.group(0)
    return brackets[0] + VARIABLE + brackets[1]


def _mask_token(token: str) -> str:
    if not _VARIABLE_HINT.search(token):
        return token
    named = _NAMED_VALUE.match(token)
    if named and not _VARIABLE_HINT.search(named.group(1)):
        return named.group(1) + VARIABLE
    return VARIABLE


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


def message_key(message: str) -> Key:
    """The masked token key of one log message (an empty tuple for a blank one)."""
    text = mask_text(strip_ansi(message).strip())
    text = _KEY_VALUE.sub(VARIABLE, text)
    text = _BOOLEAN.sub(VARIABLE, text)
    text = _EMPTY_BRACKETS.sub(_empty_to_variable, text)
    raw = text.split()
    key: list[str] = []
    for token in raw:
        token = _mask_token(token)
        if token == VARIABLE and key and key[-1] == VARIABLE:
            continue
        key.append(token)
    if raw and all(token == VARIABLE for token in key):
        # Nothing constant is left: keep the words inside the tokens instead,
        # so "setLightsOn(true)" and "setDataSource(1, 2)" stay apart.
        return tuple(_mask_pieces(token) for token in raw)
    return tuple(key)


def key_text(key: Key) -> str:
    """A key as template text: its tokens joined by single spaces."""
    return " ".join(key)
