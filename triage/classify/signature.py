"""A stable id for a failure's normalised message.

The first meaningful line goes through the template miner's masks
(``triage.mine.mask_text``) plus quoted values (in a failure message a quoted
value is almost always data: an id, a URL, a user), then every token that still
holds a digit becomes ``<*>`` (keeping a ``name=`` prefix and the brackets and
punctuation around it, so the text stays readable in reports). Stack frames
below it are normalised (``triage.mine.normalise_stack``) and the top few join
the basis. The same failure in another build or on another request therefore
gets the same signature.
"""
from __future__ import annotations

import hashlib
import re

from triage.mine import VARIABLE, mask_quoted, mask_text, normalise_stack
from triage.mine.masking import strip_ansi

TOP_FRAMES = 5
_FRAME = re.compile(r"^\s*(?:at\s|File \"|\S+\.(?:go|rs|py|js|ts|java|kt|cs|rb):\d)")
_DIGIT = re.compile(r"\d")
_WRAPPED = re.compile(r"^([(\[{<'\"]*)(.*?)([)\]}>'\",.;:!?]*)$", re.DOTALL)
_NAMED = re.compile(r"[A-Za-z_][A-Za-z_.-]*[=:]")


def _mask_identifier(token: str) -> str:
    """``order-A12B`` -> ``<*>``, ``(id=7),`` -> ``(id=<*>),``; words stay."""
    if not _DIGIT.search(token):
        return token
    opening, core, closing = _WRAPPED.match(token).groups()
    named = _NAMED.match(core)
    if named and not _DIGIT.search(named.group(0)) and "://" not in core:
        return opening + named.group(0) + VARIABLE + closing
    return opening + VARIABLE + closing


def normalise(message: str) -> str:
    """The first meaningful line of ``message`` as a template (variables as ``<*>``)."""
    text = strip_ansi(message or "")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    masked = mask_quoted(mask_text(first[:2000]))
    return " ".join(_mask_identifier(token) for token in masked.split())[:500]


def top_frames(message: str, limit: int = TOP_FRAMES) -> list[str]:
    """The first ``limit`` normalised stack frames found in ``message``."""
    frames = [line for line in (message or "").splitlines() if _FRAME.match(line)]
    return normalise_stack("\n".join(frames))[:limit]


def signature(message: str, failure_type: str = "") -> str:
    """``sig-`` plus 12 hex digits, stable across builds for the same failure."""
    basis = "|".join([failure_type, normalise(message), *top_frames(message)])
    return "sig-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]
