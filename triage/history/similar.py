"""How alike two failure messages are, beyond their signature.

A signature keeps only the first line with quoted values masked, so two
Playwright timeouts on different locators share one. The *detail template*
keeps the first lines of the message with ids, numbers, times, hosts and
paths masked (``triage.mine.mask_text``) but quoted values kept: the locator,
the expected and the received text tell one failure from another.
``similarity`` compares two templates token by token (1.0 = the same).
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from triage.mine import VARIABLE, mask_text
from triage.mine.masking import strip_ansi

DETAIL_LINES = 8
NEAR = 0.85  # at least this similar counts as a look-alike
_DIGIT_TOKEN = re.compile(r"\S*\d\S*")


@lru_cache(maxsize=4096)
def detail_template(message: str, failure_type: str = "") -> tuple[str, ...]:
    """The failure type and the first ``DETAIL_LINES`` lines of ``message`` as tokens,
    variables masked as ``<*>``."""
    lines = [line.strip() for line in strip_ansi(message or "").splitlines() if line.strip()]
    tokens: list[str] = [failure_type] if failure_type else []
    for line in lines[:DETAIL_LINES]:
        masked = _DIGIT_TOKEN.sub(VARIABLE, mask_text(line[:1000]))
        tokens.extend(masked.split())
        tokens.append("\n")
    return tuple(tokens)


@lru_cache(maxsize=65536)
def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Share of tokens the two templates have in common, in order (0.0 to 1.0)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
