"""Log template mining: masks, the online miner and its batch form.

    from triage.mine import mine
    mined = mine(["Invalid user bob from 10.0.0.1", "Invalid user test9 from 10.0.0.2"])
    mined.assignments[0].text      # 'Invalid user <*> from <*>' (test9 shows the slot is data)
    mined.to_frame()               # message, template_id, template

``triage templates`` runs this miner; failure signatures
(``triage.classify.signature``) use the same masks.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from triage.mine.masking import VARIABLE, mask_quoted, mask_text, normalise_stack
from triage.mine.miner import Template, TemplateMiner, template_id
from triage.mine.tokens import key_text, message_key

__all__ = ["VARIABLE", "MinedTemplates", "Template", "TemplateMiner", "mask_quoted",
           "mask_text", "message_key", "mine", "normalise_stack", "template_id"]


@dataclass(frozen=True)
class MinedTemplates:
    """What ``mine`` found: one template per input message, in input order, and the distinct templates."""

    messages: list[str]
    assignments: list[Template]
    templates: list[Template]

    def to_frame(self) -> pd.DataFrame:
        """One row per message: ``message``, ``template_id``, ``template``."""
        return pd.DataFrame({
            "message": self.messages,
            "template_id": [t.id for t in self.assignments],
            "template": [t.text for t in self.assignments],
        })


def mine(messages: Iterable[str]) -> MinedTemplates:
    """Mine templates from ``messages`` (a list, a pandas Series or any iterable of str).

    Every message gets its template as it stands after all messages were seen,
    so the result does not depend on their order. ``None`` and NaN count as
    empty messages. Raises nothing for any text.
    """
    texts = ["" if m is None or (isinstance(m, float) and m != m) else str(m) for m in messages]
    miner = TemplateMiner()
    keys = [miner.observe(text) for text in texts]
    templates = miner.templates()
    by_text = {t.text: t for t in templates}
    assignments = [by_text[key_text(miner.current(key))] for key in keys]
    return MinedTemplates(texts, assignments, templates)
