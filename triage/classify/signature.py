"""A stable id for a failure's normalised message.

The first meaningful line goes through the template miner's masking and token
rule (``triage.mine``), with quoted values masked too (in a failure message a
quoted value is almost always data: an id, a URL, a user); stack frames below
it are normalised (``triage.mine.normalise_stack``) and the top few join the
basis. The same failure in another build or on another request therefore
gets the same signature.
"""
from __future__ import annotations

import hashlib
import re

from triage.mine import mask_quoted, message_key, normalise_stack
from triage.mine.masking import strip_ansi
from triage.mine.tokens import key_text

TOP_FRAMES = 5
_FRAME = re.compile(r"^\s*(?:at\s|File \"|\S+\.(?:go|rs|py|js|ts|java|kt|cs|rb):\d)")


def normalise(message: str) -> str:
    """The first meaningful line of ``message`` as a template (variables as ``<*>``)."""
    text = strip_ansi(message or "")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return key_text(message_key(mask_quoted(first[:2000])))[:500]


def top_frames(message: str, limit: int = TOP_FRAMES) -> list[str]:
    """The first ``limit`` normalised stack frames found in ``message``."""
    frames = [line for line in (message or "").splitlines() if _FRAME.match(line)]
    return normalise_stack("\n".join(frames))[:limit]


def signature(message: str, failure_type: str = "") -> str:
    """``sig-`` plus 12 hex digits, stable across builds for the same failure."""
    basis = "|".join([failure_type, normalise(message), *top_frames(message)])
    return "sig-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]
