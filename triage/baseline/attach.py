"""Join baseline findings to the failures whose timelines they touch.

Each timeline row gets two list columns that rules can test: ``baseline``
(kinds of findings about that row: ``new-template``, ``status-shift``, ...)
and ``drift`` (kinds of environment drift on that row's service: ``timeout``,
``image``, ...). A failure cites the findings that touch its linked rows.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from triage.baseline.model import (ENV_DRIFT, LATENCY_SHIFT, NEW_TEMPLATE, NEW_UPSTREAM, OVER_REPRESENTED,
                                   STATUS_SHIFT, BaselineComparison, BaselineFinding)
from triage.baseline.stats import TEMPLATE_LAYERS, endpoint, template_key

UNLINKED = (None, "self", "time-window-context")
ORDER = {ENV_DRIFT: 0, NEW_TEMPLATE: 1, OVER_REPRESENTED: 2, STATUS_SHIFT: 3, NEW_UPSTREAM: 4, LATENCY_SHIFT: 5}


def touches(finding: BaselineFinding, row: dict[str, Any]) -> bool:
    """True when ``finding`` is about this timeline row."""
    layer = str(row.get("layer") or "")
    if finding.kind == ENV_DRIFT:
        return finding.service is not None and str(row.get("service") or "") == finding.service
    if finding.kind in (NEW_TEMPLATE, OVER_REPRESENTED):
        return layer in TEMPLATE_LAYERS and row.get("message") is not None and \
            template_key(row.get("service"), row.get("message")) == finding.key
    if finding.kind == NEW_UPSTREAM:
        return finding.key == f"{layer} {row.get('upstream_host')}"
    if row.get("method") is None or finding.layer != layer or endpoint(row.get("method"), row.get("path")) != finding.endpoint:
        return False
    if finding.kind == STATUS_SHIFT:
        status = row.get("status")
        return status is not None and not pd.isna(status) and finding.key.endswith(f" {int(status)}")
    return finding.kind == LATENCY_SHIFT


def annotate(timeline: pd.DataFrame, comparison: BaselineComparison) -> list[BaselineFinding]:
    """Add the ``baseline`` and ``drift`` columns to ``timeline`` (in place); return the
    findings that touch its linked rows, env drift first, then by p-value."""
    kinds: list[list[str]] = []
    drifts: list[list[str]] = []
    cited: dict[int, BaselineFinding] = {}
    for row in timeline.to_dict("records"):
        hit = [f for f in comparison.findings if touches(f, row)]
        kinds.append(sorted({f.kind for f in hit}))
        drifts.append(sorted({f.drift_kind for f in hit if f.drift_kind}))
        if row.get("link_method") not in UNLINKED:
            cited.update((id(f), f) for f in hit)
    timeline["baseline"] = pd.Series(kinds, index=timeline.index, dtype="object")
    timeline["drift"] = pd.Series(drifts, index=timeline.index, dtype="object")
    return sorted(cited.values(), key=lambda f: (ORDER.get(f.kind, 9), -(f.score or 0), f.p_value or 0, f.key))
